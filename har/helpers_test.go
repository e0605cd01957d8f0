package har_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/extractors"
	"github.com/loadrun/loadrun/har"
	"github.com/loadrun/loadrun/scenario"
)

// ex is one recorded exchange of a test HAR.
type ex struct {
	method, url string
	reqHeaders  []string // name, value, name, value…
	reqMime     string
	reqBody     string
	status      int // default 200; -1 records status 0
	respHeaders []string
	respMime    string
	respBody    string
	base64      bool // record the response body base64-encoded
	at          time.Duration
	took        time.Duration
}

var epoch = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func pairs(kv []string) []map[string]string {
	out := []map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]string{"name": kv[i], "value": kv[i+1]})
	}
	return out
}

// harDoc builds a HAR 1.2 document of the exchanges; an exchange without
// an `at` starts 10 ms after the previous one.
func harDoc(t testing.TB, exs ...ex) []byte {
	t.Helper()
	var entries []any
	at := time.Duration(0)
	for _, e := range exs {
		if e.at != 0 {
			at = e.at
		}
		if e.method == "" {
			e.method = "GET"
		}
		switch e.status {
		case 0:
			e.status = 200
		case -1: // a request the browser got no answer to
			e.status = 0
		}
		req := map[string]any{"method": e.method, "url": e.url, "httpVersion": "HTTP/1.1",
			"headers": pairs(e.reqHeaders), "queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": len(e.reqBody)}
		if e.reqBody != "" {
			req["postData"] = map[string]any{"mimeType": e.reqMime, "text": e.reqBody}
		}
		content := map[string]any{"size": len(e.respBody), "mimeType": e.respMime, "text": e.respBody}
		if e.base64 {
			content["text"] = base64.StdEncoding.EncodeToString([]byte(e.respBody))
			content["encoding"] = "base64"
		}
		entries = append(entries, map[string]any{
			"startedDateTime": epoch.Add(at).Format(time.RFC3339Nano),
			"time":            float64(e.took.Milliseconds()),
			"request":         req,
			"response": map[string]any{"status": e.status, "statusText": "", "httpVersion": "HTTP/1.1",
				"headers": pairs(e.respHeaders), "cookies": []any{}, "content": content, "redirectURL": "", "headersSize": -1, "bodySize": -1},
			"cache": map[string]any{}, "timings": map[string]any{"send": 0, "wait": 1, "receive": 0},
		})
		at += e.took + 10*time.Millisecond
	}
	b, err := json.MarshalIndent(map[string]any{"log": map[string]any{"version": "1.2",
		"creator": map[string]any{"name": "test", "version": "1"}, "entries": entries}}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// imported is an import and the scenario it gives, loaded and compiled as
// `loadrun validate` does.
type imported struct {
	res  *har.Result
	yaml string
	sc   *scenario.Scenario
	log  *har.Log
}

func importHAR(t *testing.T, opts har.Options, exs ...ex) *imported {
	t.Helper()
	log, err := har.Read("test.har", bytes.NewReader(harDoc(t, exs...)), har.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	res, err := har.Convert(log, opts)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse("imported.yaml", res.YAML)
	if err != nil {
		t.Fatalf("the imported scenario does not parse: %v\n%s", err, res.YAML)
	}
	if _, err := engine.Compile(sc, engine.CompileOptions{}); err != nil {
		t.Fatalf("the imported scenario does not compile: %v\n%s", err, res.YAML)
	}
	return &imported{res: res, yaml: string(res.YAML), sc: sc, log: log}
}

// requests lists the scenario's request steps in order (on_start, then
// the task).
func (im *imported) requests() []*scenario.Request {
	var out []*scenario.Request
	u := im.sc.Users[0]
	steps := append([]*scenario.Step{}, u.OnStart...)
	for _, tk := range u.Tasks {
		steps = append(steps, tk.Steps...)
	}
	for _, s := range steps {
		if s.Request != nil {
			out = append(out, s.Request)
		}
	}
	return out
}

// correlation returns the correlation of a variable, or fails.
func (im *imported) correlation(t *testing.T, name string) *har.Correlation {
	t.Helper()
	for _, c := range im.res.Summary.Correlations {
		if c.Var == name {
			return c
		}
	}
	t.Fatalf("no correlation %q; summary:\n%s\n%s", name, im.summary(t), im.yaml)
	return nil
}

func (im *imported) summary(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	if err := im.res.Summary.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// extracted runs every extractor of request step i (0-based) on the
// recorded response of that step and returns the values by variable.
func (im *imported) extracted(t *testing.T, i int, resp *har.Response) map[string]string {
	t.Helper()
	out := map[string]string{}
	src := extractors.NewSource()
	src.Reset(recorded{resp})
	for _, e := range im.requests()[i].Extract {
		x, err := extractors.Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		v, err := x.Extract(src, nil)
		if err != nil {
			t.Fatalf("extractor %s on the recorded response: %v", e.Var, err)
		}
		s, _ := v.(string)
		out[e.Var] = s
	}
	return out
}

// recorded is a recorded response seen as the engine's response.
type recorded struct{ r *har.Response }

func (r recorded) StatusCode() int { return r.r.Status }
func (r recorded) HeaderValues(name string) []string {
	var out []string
	for _, h := range r.r.Headers {
		if strings.EqualFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}
func (r recorded) Cookie(name string) (string, bool) {
	for _, v := range r.HeaderValues("Set-Cookie") {
		pair, _, _ := strings.Cut(v, ";")
		if k, val, ok := strings.Cut(pair, "="); ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(val), true
		}
	}
	return "", false
}
func (r recorded) Body() []byte           { return []byte(r.r.Body) }
func (r recorded) Elapsed() time.Duration { return 0 }
