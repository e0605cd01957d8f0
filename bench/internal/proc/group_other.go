//go:build !unix

package proc

import "os/exec"

// KillGroupOnCancel leaves cmd's default cancellation (killing the process
// itself): process groups are a Unix notion.
func KillGroupOnCancel(cmd *exec.Cmd) {}

// RaiseFileLimit does nothing outside Unix, which has no such limit to raise.
func RaiseFileLimit() error { return nil }
