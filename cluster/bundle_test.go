package cluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/scenario"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBundle ships a scenario whose data files sit beside it, in a
// subfolder and above it, and loads it in an empty folder as a worker does.
func TestBundle(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "shared", "accounts.csv"), "username,password\nann,1\nbob,2\n")
	write(t, filepath.Join(root, "test", "data", "urls.csv"), "path\n/a\n/b\n/c\n")
	write(t, filepath.Join(root, "test", "s.yaml"), `name: shipped
host: http://127.0.0.1:1
data:
  accounts: {file: ../shared/accounts.csv, mode: unique-recycle}
  urls: {file: data/urls.csv}
  inline: {rows: [{a: "1"}]}
users:
  - name: U
    tasks:
      - steps:
          - use: accounts
          - request: {url: "/${accounts.username}"}
`)
	sc, err := scenario.Load(filepath.Join(root, "test", "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBundle(filepath.Join(root, "test", "s.yaml"), sc)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := b.encode()
	if err != nil {
		t.Fatal(err)
	}
	b, err = decodeBundle(wire)
	if err != nil {
		t.Fatal(err)
	}
	there := t.TempDir()
	got, err := b.Load(there)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "shipped" || len(got.Data) != 3 {
		t.Fatalf("loaded %q with %d pools", got.Name, len(got.Data))
	}
	want := map[string]int{"accounts": 2, "urls": 3, "inline": 1}
	for _, def := range got.Data {
		p, err := datasource.Open(def, got.Dir)
		if err != nil {
			t.Fatalf("pool %s: %v", def.Name, err)
		}
		if p.Len() != want[def.Name] {
			t.Errorf("pool %s has %d rows, want %d", def.Name, p.Len(), want[def.Name])
		}
		if def.File != "" && filepath.Dir(filepath.Dir(filepath.Dir(def.File))) != there {
			t.Errorf("pool %s reads %s, outside the worker's folder %s", def.Name, def.File, there)
		}
		row, err := p.Draw(context.Background(), new(datasource.Holder))
		if err != nil || len(row) == 0 {
			t.Errorf("pool %s: draw %v, %v", def.Name, row, err)
		}
	}
}

func TestBundleMissingFile(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "s.yaml"), `host: http://127.0.0.1:1
data:
  accounts: {file: nowhere.csv}
users:
  - name: U
    tasks:
      - steps:
          - request: {url: /}
`)
	sc, err := scenario.Load(filepath.Join(root, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewBundle(filepath.Join(root, "s.yaml"), sc); err == nil {
		t.Fatal("a missing data file was shipped")
	}
}
