//go:build unix

package proc

import (
	"os/exec"
	"syscall"
)

// KillGroupOnCancel makes cmd's cancellation (its context ending) kill its
// whole process group, so that a tool run under time(1) or taskset dies
// with its wrapper. Call it before cmd.Start.
func KillGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// RaiseFileLimit lifts the soft open-files limit to the hard one: 10,000
// users hold 10,000 sockets in the generator and as many in the target,
// and both inherit the limit from this process.
func RaiseFileLimit() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur >= l.Max {
		return err
	}
	l.Cur = l.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
}
