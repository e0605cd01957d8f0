package regular

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOpen: only regular files open; a FIFO (whose open would block until a
// writer came), a device and a directory are refused at once with a reason.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	file := filepath.Join(dir, "ok.csv")
	if err := os.WriteFile(file, []byte("a\n1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want string // "" for success
	}{
		// A regular file opens.
		{file, ""},
		// A FIFO is refused before open, which would block.
		{fifo, "named pipe (FIFO)"},
		// A character device.
		{"/dev/zero", "is a device"},
		// A directory.
		{dir, "is a directory"},
		// A missing file keeps the system's error.
		{filepath.Join(dir, "nope"), "no such file"},
	}
	for _, tt := range tests {
		f, err := Open(tt.path)
		if f != nil {
			f.Close()
		}
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Open(%s): %v", tt.path, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Open(%s) = %v, want an error containing %q", tt.path, err, tt.want)
		}
	}
}
