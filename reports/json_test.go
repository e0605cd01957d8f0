package reports

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadrun/loadrun/stats"
)

// TestJSONRoundTrip writes a summary, reads it back and checks that every
// number survives: the raw fields exactly, the percentiles identically, and
// every report rendered from the rebuilt snapshot byte for byte.
func TestJSONRoundTrip(t *testing.T) {
	run, s := fixture()
	var first bytes.Buffer
	if err := WriteJSON(&first, run, s); err != nil {
		t.Fatal(err)
	}
	gotRun, got, err := ReadJSON(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotRun, run) {
		t.Errorf("run after a round trip:\n got %+v\nwant %+v", gotRun, run)
	}
	entries := append(append([]*stats.Entry{}, s.Entries...), s.Total)
	gotEntries := append(append([]*stats.Entry{}, got.Entries...), got.Total)
	if len(gotEntries) != len(entries) {
		t.Fatalf("%d entries after a round trip, want %d", len(gotEntries), len(entries))
	}
	for i, want := range entries {
		g := gotEntries[i]
		if g.Key != want.Key || g.Requests != want.Requests || g.Failures != want.Failures ||
			g.SumTime != want.SumTime || g.MinTime != want.MinTime || g.MaxTime != want.MaxTime ||
			g.ContentBytes != want.ContentBytes || g.OutOfRange != want.OutOfRange ||
			g.CurrentRPS != want.CurrentRPS || g.CurrentFailPerSec != want.CurrentFailPerSec {
			t.Errorf("entry %d after a round trip:\n got %+v\nwant %+v", i, *g, *want)
		}
		if ge, we := mustEncode(t, g.Hist), mustEncode(t, want.Hist); ge != we {
			t.Errorf("%s: histogram differs after a round trip", want.Key)
		}
		for _, p := range stats.Percentiles() {
			if gp, wp := g.Percentile(p), want.Percentile(p); gp != wp {
				t.Errorf("%s p%v = %v after a round trip, want %v", want.Key, p, gp, wp)
			}
		}
	}
	for name, pair := range map[string][2]any{
		"errors":  {got.Errors, s.Errors},
		"checks":  {got.Checks, s.Checks},
		"history": {got.History, s.History},
		"scalars": {[]any{got.Start, got.Time, got.Users, got.CPU, got.Saturated}, []any{s.Start, s.Time, s.Users, s.CPU, s.Saturated}},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s after a round trip:\n got %+v\nwant %+v", name, pair[0], pair[1])
		}
	}
	for i, r := range s.Rendezvous {
		g := got.Rendezvous[i]
		if g.Name != r.Name || g.Groups != r.Groups || g.ByCount != r.ByCount || g.ByTimeout != r.ByTimeout ||
			g.ByShortfall != r.ByShortfall || !sameHist(t, g.Sizes, r.Sizes) || !sameHist(t, g.Wait, r.Wait) {
			t.Errorf("rendezvous %q differs after a round trip", r.Name)
		}
	}
	if len(got.Phases) != len(s.Phases) || len(s.Phases) == 0 {
		t.Fatalf("%d phase rows after a round trip, want %d (and the fixture has some)", len(got.Phases), len(s.Phases))
	}
	for i, p := range s.Phases {
		g := got.Phases[i]
		if g.Key != p.Key || g.Requests != p.Requests || g.Conns != p.Conns || g.Handshakes != p.Handshakes ||
			!sameHist(t, g.Connect, p.Connect) || !sameHist(t, g.TLS, p.TLS) || !sameHist(t, g.Send, p.Send) ||
			!sameHist(t, g.Wait, p.Wait) || !sameHist(t, g.Download, p.Download) {
			t.Errorf("phases of %s differ after a round trip", p.Key)
		}
	}
	for i, p := range s.Pacing {
		g := got.Pacing[i]
		if g.Task != p.Task || g.Iterations != p.Iterations || g.Late != p.Late || g.Skipped != p.Skipped || !sameHist(t, g.Lateness, p.Lateness) {
			t.Errorf("pacing %q differs after a round trip", p.Task)
		}
	}

	var second bytes.Buffer
	if err := WriteJSON(&second, gotRun, got); err != nil {
		t.Fatal(err)
	}
	if first.String() != second.String() {
		t.Errorf("the summary of the rebuilt snapshot differs from the original:\n%s\n---\n%s", second.String(), first.String())
	}
	var a, b bytes.Buffer
	if err := WriteSummary(&a, run, s); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(&b, gotRun, got); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("console summary of the rebuilt snapshot differs:\n%s\n---\n%s", b.String(), a.String())
	}
}

// TestJSONGolden pins the document's shape: field names and order are a
// contract with users' scripts (schema_version 1, documented in JSON.md).
func TestJSONGolden(t *testing.T) {
	run, s := fixture()
	var b bytes.Buffer
	if err := WriteJSON(&b, run, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.json.golden", b.Bytes())
}

// TestJSONFieldsDocumented checks that JSON.md names every key WriteJSON
// writes, so the documentation cannot fall behind the code.
func TestJSONFieldsDocumented(t *testing.T) {
	doc, err := readDoc()
	if err != nil {
		t.Fatal(err)
	}
	run, s := fixture()
	var b bytes.Buffer
	if err := WriteJSON(&b, run, s); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	for key := range jsonKeys(v, "") {
		if !strings.Contains(doc, "`"+key+"`") {
			t.Errorf("JSON.md does not document `%s`", key)
		}
	}
}

// jsonKeys lists the object keys of v by their last name, skipping the
// percentile labels (documented as one field).
func jsonKeys(v any, parent string) map[string]bool {
	keys := map[string]bool{}
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if parent == "percentiles_ms" {
				continue
			}
			keys[k] = true
			for ck := range jsonKeys(child, k) {
				keys[ck] = true
			}
		}
	case []any:
		for _, child := range v {
			for ck := range jsonKeys(child, parent) {
				keys[ck] = true
			}
		}
	}
	return keys
}

func TestReadJSONErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Not JSON at all.
		{"garbage", "<html>", "reading the JSON summary"},
		// Some other JSON document.
		{"no version", `{"requests": []}`, "no schema_version"},
		// Written by a newer loadrun.
		{"newer", `{"schema_version": 2}`, "schema_version 2"},
		// A histogram that is not base64.
		{"bad histogram", `{"schema_version": 1, "requests": [{"name": "/", "histogram": "!!!"}]}`, "requests[0].histogram"},
		// Base64, but not an HDR histogram.
		{"not hdr", `{"schema_version": 1, "aggregated": {"histogram": "aGVsbG8gd29ybGQ="}}`, "aggregated.histogram"},
		// A phase histogram that is not one, named by its field.
		{"bad phase", `{"schema_version": 1, "phases": [{"name": "/", "wait": {"histogram": "!!!"}}]}`, "phases[0].wait.histogram"},
		// A null entry must not crash the reports later.
		{"null entry", `{"schema_version": 1, "requests": [null]}`, "requests[0] is null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadJSON(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadJSON(%s) error = %v, want one containing %q", tt.in, err, tt.want)
			}
		})
	}
}

// FuzzReadJSON checks that no input makes ReadJSON panic, and that whatever
// it accepts renders in every report.
func FuzzReadJSON(f *testing.F) {
	run, s := fixture()
	var b bytes.Buffer
	if err := WriteJSON(&b, run, s); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema_version": 1}`))
	f.Add([]byte(`{"schema_version": 1, "requests": [{"requests": 5, "min_ms": 1e300}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		run, s, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteSummary(&out, run, s); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&out, run, s); err != nil {
			t.Fatal(err)
		}
		if err := WriteJUnit(&out, run, s); err != nil {
			t.Fatal(err)
		}
	})
}

// mustEncode is a histogram's V2 encoding: two histograms with the same
// buckets and counts encode to the same text.
func mustEncode(t *testing.T, h *hdrhistogram.PackedHistogram) string {
	t.Helper()
	b, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameHist: two histograms hold the same samples (nil holds none).
func sameHist(t *testing.T, a, b *hdrhistogram.PackedHistogram) bool {
	t.Helper()
	if a == nil || b == nil {
		return a == b
	}
	return mustEncode(t, a) == mustEncode(t, b)
}

// TestJSONWithoutVerdict: a summary of schema 1 written before verdicts
// were recorded still reads, with no verdict (not a failed one).
func TestJSONWithoutVerdict(t *testing.T) {
	run, s := fixture()
	var b bytes.Buffer
	if err := WriteJSON(&b, run, s); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "verdict")
	old, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadJSON(bytes.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict.Known() {
		t.Errorf("verdict %+v, want none", got.Verdict)
	}
}
