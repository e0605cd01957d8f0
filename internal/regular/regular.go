// Package regular opens input files (scenarios, data pools) only when they
// are regular files. A FIFO, a device or a directory given where a file is
// expected would block a read forever or feed it without end.
package regular

import (
	"errors"
	"io/fs"
	"os"
)

// Open opens path for reading only when it is a regular file. A
// FIFO, a device or a directory is refused before it is opened (opening a
// FIFO blocks until a writer comes), and the opened file is checked again
// so that a path swapped in between cannot slip through.
func Open(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := check(fi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err == nil {
		err = check(fi)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// check explains why a file that is not a regular file cannot be read.
func check(fi fs.FileInfo) error {
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return errors.New("it is a directory, not a file")
	case m&fs.ModeNamedPipe != 0:
		return errors.New("it is a named pipe (FIFO), not a regular file; loadrun reads only regular files")
	case m&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return errors.New("it is a device, not a regular file; loadrun reads only regular files")
	case m&fs.ModeSocket != 0:
		return errors.New("it is a socket, not a regular file; loadrun reads only regular files")
	}
	return errors.New("it is not a regular file; loadrun reads only regular files")
}
