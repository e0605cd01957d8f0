package scenario

import (
	"errors"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"
)

// zeroPos clears every Pos in a model tree so that models parsed from
// differently laid out files can be compared.
func zeroPos(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			zeroPos(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[Pos]() {
			if v.CanSet() {
				v.Set(reflect.Zero(v.Type()))
			}
			return
		}
		for i := range v.NumField() {
			zeroPos(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			zeroPos(v.Index(i))
		}
	}
}

func mustParse(t *testing.T, name, src string) *Scenario {
	t.Helper()
	s, err := Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func mustLoad(t *testing.T, path string) *Scenario {
	t.Helper()
	s, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// TestYAMLAndJSONTwins checks that the YAML example and its JSON
// translation give the same model.
func TestYAMLAndJSONTwins(t *testing.T) {
	y := mustLoad(t, "testdata/locust.yaml")
	j := mustLoad(t, "testdata/locust.json")
	zeroPos(reflect.ValueOf(y))
	zeroPos(reflect.ValueOf(j))
	if !reflect.DeepEqual(y, j) {
		t.Errorf("YAML and JSON twins differ:\nyaml %+v\njson %+v", y, j)
	}
}

// TestLocustExample checks values throughout the example file.
func TestLocustExample(t *testing.T) {
	s := mustLoad(t, "testdata/locust.yaml")
	web, admin := s.Users[0], s.Users[1]
	index, about := web.Tasks[0], web.Tasks[1]
	page := index.Steps[1].Request
	f := false
	zero := "0"
	tests := []struct {
		name      string
		got, want any
	}{
		// Top-level scalars.
		{"name", s.Name, "website"},
		{"description", s.Description, "the Locust classic"},
		{"host", s.Host, "http://127.0.0.1:8089"},
		{"dir", s.Dir, "testdata"},
		// Non-string vars are kept as their text.
		{"vars", []string{s.Vars[1].Var, s.Vars[1].Value.Text}, []string{"retries", "3"}},
		// Pools keep file order, modes, and get defaults.
		{"pool names", []string{s.Data[0].Name, s.Data[1].Name, s.Data[2].Name, s.Data[3].Name, s.Data[4].Name}, []string{"urls", "signups", "accounts", "inline", "semi"}},
		{"pool format from extension", []string{s.Data[0].Format, s.Data[2].Format}, []string{"csv", "json"}},
		{"csv delimiter default", s.Data[0].Delimiter, ','},
		{"on_exhausted", s.Data[1].OnExhausted, StopTest},
		{"recycle timeout", s.Data[2].Timeout, 5 * time.Second},
		{"inline rows", s.Data[3].Rows, []map[string]string{{"user": "a", "pass": "x"}, {"user": "b", "pass": "y"}}},
		{"csv options", []any{s.Data[4].Delimiter, s.Data[4].NoHeader, s.Data[4].Columns}, []any{';', true, []string{"a", "b"}}},
		// User types.
		{"weights", []int{web.Weight, admin.Weight}, []int{3, 1}},
		{"wait between", *web.Wait, Wait{Pos: web.Wait.Pos, Kind: WaitBetween, Min: time.Second, Max: 5 * time.Second}},
		{"bare wait is constant", *admin.Wait, Wait{Pos: admin.Wait.Pos, Kind: WaitConstant, Constant: 2 * time.Second}},
		{"pacing", admin.Tasks[0].Wait.Pacing, 10 * time.Second},
		{"admin host", admin.Host, "https://admin.example:8443"},
		{"method upper-cased", web.OnStart[0].Request.Method, "POST"},
		{"step name", web.OnStart[0].Name, "login"},
		{"form", []string{web.OnStart[0].Request.Form[1].Key, web.OnStart[0].Request.Form[1].Value.Text}, []string{"password", "123456"}},
		{"task weights", []int{index.Weight, about.Weight}, []int{2, 1}},
		// The request with everything.
		{"url", page.URL.Text, "${urls.path}"},
		{"name", page.Name.Text, "page"},
		{"header number as text", page.Headers[1].Value.Text, "1"},
		{"query", page.Query[0].Key + "=" + page.Query[0].Value.Text, "page=2"},
		{"timeout in seconds", page.Timeout, 2500 * time.Millisecond},
		{"follow_redirects", page.FollowRedirects, &f},
		{"extract kinds", kinds(page.Extract), []ExtractKind{ExtractRegex, ExtractJSONPath, ExtractXPath, ExtractHeader, ExtractCookie, ExtractBoundary, ExtractStatus}},
		{"regex group", []any{page.Extract[0].Group, page.Extract[0].HasGroup}, []any{1, true}},
		{"default number as text", page.Extract[1].Default, &zero},
		{"match index", page.Extract[2].Match, "2"},
		{"match all", page.Extract[3].Match, "all"},
		{"match default", page.Extract[4].Match, "first"},
		{"boundary", [2]string{page.Extract[5].Left, page.Extract[5].Right}, [2]string{`order-id="`, `"`}},
		{"status list", page.Check[1].Statuses, []string{"200", "204"}},
		{"status list arg", page.Check[1].Arg, "200,204"},
		{"status class", page.Check[2].Arg, "2xx"},
		{"contains kind", page.Check[3].Kind, CheckContains},
		{"equals keeps int", page.Check[6].Value, int64(3)},
		{"equals keeps string", page.Check[7].Value, "Cart"},
		{"header contains", []any{page.Check[8].Kind, page.Check[8].Op, page.Check[8].Value}, []any{CheckHeader, "contains", "json"}},
		{"float comparand", []any{page.Check[9].Op, page.Check[9].Value}, []any{">=", 1.5}},
		{"in list", page.Check[10].Value, []any{"open", "closed"}},
		{"max_time", []any{page.Check[11].MaxTime, page.Check[11].Name}, []any{500 * time.Millisecond, "fast enough"}},
		{"expr", page.Check[12].Arg, `status == 200 && json("$.total") > 0`},
		// Other steps.
		{"request name", about.Steps[0].Request.Name.Text, "About page"},
		{"think", about.Steps[1].Think.Max, 200 * time.Millisecond},
		{"log", about.Steps[2].Log.Text, "saw ${title}"},
		{"set", []string{about.Steps[3].Set[0].Value.Text, about.Steps[3].Set[1].Value.Text, about.Steps[3].Set[2].Value.Text}, []string{"2", "${page + 1}", "true"}},
		{"use mapping", about.Steps[4].Use.Pool, "inline"},
		{"rendezvous", *about.Steps[5].Rendezvous, Rendezvous{Pos: about.Steps[5].Rendezvous.Pos, Name: "checkout", Percent: 50, Timeout: 10 * time.Second, Policy: "last"}},
		{"rendezvous defaults", *admin.Tasks[0].Steps[1].Rendezvous, Rendezvous{Pos: admin.Tasks[0].Steps[1].Rendezvous.Pos, Name: "all", Count: 10, Timeout: 30 * time.Second, Policy: "first"}},
		{"json body", about.Steps[6].Request.JSON, map[string]any{"items": []any{int64(1), 2.5, "x", true, nil}, "nested": map[string]any{"a": "b"}}},
		{"on_failure", []OnFailure{about.Steps[6].OnFailure, admin.Tasks[0].Steps[2].OnFailure, about.Steps[0].OnFailure}, []OnFailure{EndIteration, StopUser, Continue}},
		{"body", admin.Tasks[0].Steps[2].Request.Body.Text, "raw ${x}"},
		{"think number", admin.Tasks[0].Steps[0].Think.Constant, 1500 * time.Millisecond},
		{"on_stop", web.OnStop[0].Request.URL.Text, "/logout"},
		// Thresholds.
		{"bare threshold", *s.Thresholds[0], Threshold{Pos: s.Thresholds[0].Pos, Rule: "p95 < 300ms"}},
		{"full threshold", *s.Thresholds[1], Threshold{Pos: s.Thresholds[1].Pos, Request: "GET /api/cart", Rule: "p99 < 800ms", Abort: true, Grace: 10 * time.Second}},
	}
	for _, tc := range tests {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
}

func kinds(es []*Extract) []ExtractKind {
	var out []ExtractKind
	for _, e := range es {
		out = append(out, e.Kind)
	}
	return out
}

// TestDefaults checks a minimal file against the whole expected model.
func TestDefaults(t *testing.T) {
	got := mustParse(t, "min.yaml", `
data:
  p: {file: rows.csv}
users:
  - name: U
    tasks:
      - steps:
          - request: {url: /}
          - use: p
`)
	zeroPos(reflect.ValueOf(got))
	url := Template{Text: "/"}
	want := &Scenario{
		Data: []*Pool{{Name: "p", File: "rows.csv", Format: "csv", Mode: Cycle, Delimiter: ','}},
		Users: []*UserType{{
			Name:   "U",
			Weight: 1,
			Tasks: []*Task{{
				Weight: 1,
				Steps: []*Step{
					{OnFailure: Continue, Request: &Request{Method: "GET", URL: url, Name: url}},
					{OnFailure: Continue, Use: &Use{Pool: "p"}},
				},
			}},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestPositions checks that elements carry the line and column of their node.
func TestPositions(t *testing.T) {
	s := mustParse(t, "p.yaml", `users:
  - name: U
    tasks:
      - name: t
        steps:
          - request:
              url: /x
              extract: [{var: v, regex: a}]
              check: [{status: 200}]
thresholds: ["p95 < 1s"]
`)
	task := s.Users[0].Tasks[0]
	req := task.Steps[0].Request
	tests := []struct {
		name string
		got  Pos
		want Pos
	}{
		// The scenario is its top mapping.
		{"scenario", s.Pos, Pos{"p.yaml", 1, 1}},
		// A list item's position is its first key.
		{"user type", s.Users[0].Pos, Pos{"p.yaml", 2, 5}},
		{"task", task.Pos, Pos{"p.yaml", 4, 9}},
		{"step", task.Steps[0].Pos, Pos{"p.yaml", 6, 13}},
		// A block mapping value starts at its first key.
		{"request", req.Pos, Pos{"p.yaml", 7, 15}},
		// Templates point at their text, so template errors do too.
		{"url", req.URL.Pos, Pos{"p.yaml", 7, 20}},
		{"extract", req.Extract[0].Pos, Pos{"p.yaml", 8, 25}},
		{"check", req.Check[0].Pos, Pos{"p.yaml", 9, 23}},
		{"threshold", s.Thresholds[0].Pos, Pos{"p.yaml", 10, 14}},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, tc.got, tc.want)
		}
	}
}

// TestMergeKeys checks that YAML anchors and merge keys work, with explicit
// keys winning over merged ones, and that top-level x- keys hold anchors.
func TestMergeKeys(t *testing.T) {
	s := mustParse(t, "m.yaml", `
x-common: &common {method: POST, url: /a, headers: {A: "1"}}
users:
  - name: U
    tasks:
      - steps:
          - request: {<<: *common, url: /b}
          - request: *common
`)
	steps := s.Users[0].Tasks[0].Steps
	tests := []struct {
		name      string
		got, want any
	}{
		// Merged keys come through.
		{"merged method", steps[0].Request.Method, "POST"},
		{"merged headers", steps[0].Request.Headers[0].Key, "A"},
		// An explicit key overrides the merged one.
		{"explicit url", steps[0].Request.URL.Text, "/b"},
		// A plain alias is the anchored mapping itself.
		{"alias url", steps[1].Request.URL.Text, "/a"},
	}
	for _, tc := range tests {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
}

// TestLoadMissingFile checks that a read error names the file.
func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(path)
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("got %v, want one error", err)
	}
	want := path + ": cannot read the scenario: no such file or directory"
	if got := err.Error(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestExamplesParse checks that every sample file in testdata parses.
func TestExamplesParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("testdata/*.json")
	files = append(files, more...)
	if len(files) < 2 {
		t.Fatalf("got %d sample files, want at least 2", len(files))
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestLoadRefusesNonRegular: a scenario path that is a FIFO or a directory
// is refused at once (reading a FIFO blocked validate forever).
func TestLoadRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "s.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for path, want := range map[string]string{
		fifo: fifo + ": cannot read the scenario: it is a named pipe (FIFO), not a regular file; loadrun reads only regular files",
		dir:  dir + ": cannot read the scenario: it is a directory, not a file",
	} {
		_, err := Load(path)
		if err == nil || err.Error() != want {
			t.Errorf("Load(%s) = %v, want %q", path, err, want)
		}
	}
}
