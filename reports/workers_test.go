package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

func sampleWorkers() []Worker {
	return []Worker{
		{Name: "w1", Host: "load-1", State: "stopped", Requests: 1200, Failures: 3, CPU: 41},
		{Name: "w2", Host: "load-2", State: "lost", Requests: 300, CPU: 12, Lost: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
}

// TestWorkersJSON: the workers table survives the JSON summary, and every
// field it writes is documented.
func TestWorkersJSON(t *testing.T) {
	run, s := fixture()
	run.Workers = sampleWorkers()
	var b bytes.Buffer
	if err := WriteJSON(&b, run, s); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Workers, run.Workers) {
		t.Errorf("workers after the round trip:\n got %+v\nwant %+v", got.Workers, run.Workers)
	}
	var v struct {
		Workers []map[string]any `json:"workers"`
	}
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	doc, err := readDoc()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range v.Workers {
		for key := range w {
			if !strings.Contains(doc, "`"+key+"`") {
				t.Errorf("JSON.md does not document workers[].%s", key)
			}
		}
	}
	// A run in one process has no workers key at all.
	run.Workers = nil
	b.Reset()
	if err := WriteJSON(&b, run, s); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `"workers"`) {
		t.Error("a single-process summary has a workers key")
	}
}

func TestWriteWorkers(t *testing.T) {
	var b bytes.Buffer
	ws := sampleWorkers()
	ws[0].Name = "evil\x1b[2Jname"
	if err := WriteWorkers(&b, ws); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Worker", "load-1", "lost 03:04:05", "1200"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("a worker name's terminal escape reached the console")
	}
	b.Reset()
	if err := WriteWorkers(&b, nil); err != nil || b.Len() != 0 {
		t.Errorf("no workers wrote %q", b.String())
	}
}

// TestWorkersCSV: PREFIX_workers.csv is written for a distributed run
// only, one row per worker with its lost time, and a worker's name or host
// that a spreadsheet would run as a formula is written as text.
func TestWorkersCSV(t *testing.T) {
	run, s := fixture()
	prefix := filepath.Join(t.TempDir(), "out")
	if err := WriteCSV(prefix, run, s); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(prefix + "_workers.csv"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a run in one process wrote a workers file (%v)", err)
	}
	run.Workers = sampleWorkers()
	run.Workers[0].Name = "=HYPERLINK(\"http://evil\")"
	run.Workers[1].Host = "@SUM(A1)\nx"
	for _, write := range []func(string, Run, *stats.Snapshot) error{WriteCSV, WriteCSVWithoutHistory} {
		if err := write(prefix, run, s); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(prefix + "_workers.csv")
		if err != nil {
			t.Fatal(err)
		}
		rows := readCSV(t, b)
		want := [][]string{
			{"Name", "Host", "State", "Lost At", "Users", "Requests", "Failures", "CPU %"},
			{`'=HYPERLINK("http://evil")`, "load-1", "stopped", "", "0", "1200", "3", "41"},
			{"w2", `'@SUM(A1)\nx`, "lost", "2026-01-02T03:04:05Z", "0", "300", "0", "12"},
		}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("workers file\n got %q\nwant %q", rows, want)
		}
		if err := os.Remove(prefix + "_workers.csv"); err != nil {
			t.Fatal(err)
		}
	}
}
