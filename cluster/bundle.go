package cluster

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/loadrun/loadrun/internal/termsafe"
	"github.com/loadrun/loadrun/scenario"
)

// MaxBundle bounds the scenario and data files a master ships, together.
const MaxBundle = 256 << 20

// Bundle is everything a worker needs besides the binary: the scenario file
// as written and the content of every data file it references, so that a
// worker runs the same test from an empty folder.
type Bundle struct {
	// Name is the scenario file's base name (it decides YAML or JSON and
	// appears in positions of messages).
	Name     string
	Scenario []byte
	// Data holds each data file's content by the name of the pool that
	// reads it.
	Data map[string][]byte
	// Args are the master's run flags that shape each user's requests
	// (host, timeouts, TLS, seed, …) as --name=value: workers parse them
	// as `loadrun run` would.
	Args []string
}

// NewBundle gathers the scenario file at path and the data files of sc, the
// scenario loaded from it.
func NewBundle(path string, sc *scenario.Scenario) (*Bundle, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the scenario to ship: %w", err)
	}
	b := &Bundle{Name: filepath.Base(path), Scenario: src, Data: map[string][]byte{}}
	size := len(src)
	for _, def := range sc.Data {
		if def.File == "" {
			continue
		}
		p := def.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(sc.Dir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, scenario.Errorf(def.Pos, "data pool %q: reading %s to ship to workers: %v", def.Name, def.File, err)
		}
		if size += len(data); size > MaxBundle {
			return nil, scenario.Errorf(def.Pos, "data pool %q: the scenario and its data files are over %d MiB together, more than a master ships", def.Name, MaxBundle>>20)
		}
		b.Data[def.Name] = data
	}
	return b, nil
}

// Load writes the bundle into dir and loads the scenario from there: the
// scenario under its own name, each data file as dir/data/POOL/BASENAME,
// and every pool's file path pointed at its copy. The names come from the
// master: each must be a plain file name, and every file is written
// through an os.Root of dir, so that neither a name such as ../../x nor a
// symbolic link can make a worker write outside dir; an existing file is
// never overwritten.
func (b *Bundle) Load(dir string) (*scenario.Scenario, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if err := plainName(b.Name); err != nil {
		return nil, fmt.Errorf("the master's scenario file name: %w", err)
	}
	if err := writeNew(root, b.Name, b.Scenario); err != nil {
		return nil, err
	}
	sc, err := scenario.Load(filepath.Join(dir, b.Name))
	if err != nil {
		return nil, err
	}
	for i, def := range sc.Data {
		if def.File == "" {
			continue
		}
		data, ok := b.Data[def.Name]
		if !ok {
			return nil, scenario.Errorf(def.Pos, "data pool %q: the master sent no data file for it", def.Name)
		}
		base := filepath.Base(def.File)
		if err := plainName(base); err != nil {
			return nil, scenario.Errorf(def.Pos, "data pool %q: file %s: %v", def.Name, termsafe.Line(def.File), err)
		}
		// The pool's index keeps two pools with odd names apart on disk.
		d := filepath.Join("data", fmt.Sprint(i))
		if err := root.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
		if err := writeNew(root, filepath.Join(d, base), data); err != nil {
			return nil, err
		}
		def.File = filepath.Join(dir, d, base)
	}
	return sc, nil
}

// plainName checks that name is a file name of its own: not empty, not .
// or .., no separator, no control character, at most 255 bytes.
func plainName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("%q is not a file name", name)
	case len(name) > 255:
		return fmt.Errorf("a name of %d bytes is over 255", len(name))
	case strings.ContainsAny(name, `/\`) || termsafe.Line(name) != name:
		return fmt.Errorf("%q is not a plain file name", name)
	}
	return nil
}

// writeNew writes a file that must not exist yet, under root.
func writeNew(root *os.Root, name string, data []byte) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// encode is the bundle's wire form.
func (b *Bundle) encode() ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(b); err != nil {
		return nil, fmt.Errorf("encoding the bundle: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeBundle(data []byte) (*Bundle, error) {
	var b Bundle
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&b); err != nil {
		return nil, fmt.Errorf("decoding the bundle: %w", err)
	}
	return &b, nil
}
