package demo

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// benchJSON is the body of GET /json, the plain throughput target: encoded
// once, with its headers prebuilt, so serving it costs only what net/http does.
var (
	benchJSON   = []byte(`{"status":"ok","service":"loadrun-demo","items":3,"ok":true}` + "\n")
	benchCT     = []string{"application/json"}
	benchLength = []string{strconv.Itoa(len(benchJSON))}
)

func serveJSONBench(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = benchCT
	h["Content-Length"] = benchLength
	w.Write(benchJSON) // a write error means the client went away
}

// maxGroup bounds the length of a rendezvous group name kept per arrival.
const maxGroup = 64

// arrive records when the request got here, for rendezvous spread tests.
// The clock is read first so that parsing the request does not count.
func (a *App) arrive(w http.ResponseWriter, r *http.Request) {
	at := a.now()
	group := r.FormValue("group") // query or, for POST /cart, form body
	if group == "" {
		group = "cart"
		if r.Method == http.MethodGet {
			group = "default"
		}
	}
	if len(group) > maxGroup {
		group = group[:maxGroup]
	}
	a.arrivals.add(Arrival{Group: group, At: at})
	writeJSON(w, http.StatusOK, Arrival{Group: group, At: at})
}

func (a *App) arrivalsAPI(w http.ResponseWriter, r *http.Request) {
	list, dropped := a.arrivals.list(r.URL.Query().Get("group"))
	var spread int64
	if len(list) > 1 {
		spread = list[len(list)-1].At - list[0].At
	}
	writeJSON(w, http.StatusOK, struct {
		Arrivals []Arrival `json:"arrivals"`
		Count    int       `json:"count"`
		SpreadNS int64     `json:"spread_ns"`
		Dropped  int64     `json:"dropped"`
	}{list, len(list), spread, dropped})
}

// intParam reads an integer query parameter in [lo, hi], def when absent;
// ok is false after a 400 answer was written.
func intParam(w http.ResponseWriter, r *http.Request, name string, def, lo, hi int) (int, bool) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		http.Error(w, fmt.Sprintf("%s=%q: want a whole number from %d to %d", name, s, lo, hi), http.StatusBadRequest)
		return 0, false
	}
	return n, true
}

// slow answers after ?ms= milliseconds (default 200, at most MaxSlow).
func (a *App) slow(w http.ResponseWriter, r *http.Request) {
	ms, ok := intParam(w, r, "ms", 200, 0, int(MaxSlow/time.Millisecond))
	if !ok {
		return
	}
	if a.opts.Sleep(r.Context(), time.Duration(ms)*time.Millisecond) != nil {
		return // the client went away
	}
	writeJSON(w, http.StatusOK, struct {
		SleptMS int `json:"slept_ms"`
	}{ms})
}

// status answers with the status code in the path (200 to 599).
func (a *App) status(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 200 || code > 599 {
		http.Error(w, fmt.Sprintf("status %q: want a code from 200 to 599", r.PathValue("code")), http.StatusBadRequest)
		return
	}
	http.Error(w, fmt.Sprintf("%d %s", code, http.StatusText(code)), code)
}

// flaky fails with 500 with probability ?p= (default 0.1).
func (a *App) flaky(w http.ResponseWriter, r *http.Request) {
	p := 0.1
	if s := r.URL.Query().Get("p"); s != "" {
		var err error
		if p, err = strconv.ParseFloat(s, 64); err != nil || !(p >= 0 && p <= 1) {
			http.Error(w, fmt.Sprintf("p=%q: want a probability from 0 to 1", s), http.StatusBadRequest)
			return
		}
	}
	if a.float64() < p {
		a.flaky500.Add(1)
		http.Error(w, "flaky: failed on purpose", http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		OK bool `json:"ok"`
	}{true})
}

// bigChunk is written over and over by /big, so a 200 MiB body costs 32 KiB.
var bigChunk = []byte(strings.Repeat("loadrun demo big body 0123456789\n", 1024)[:32*1024])

// big streams ?kb= KiB (default 1024, at most MaxBigKiB) with a Content-Length.
func (a *App) big(w http.ResponseWriter, r *http.Request) {
	kb, ok := intParam(w, r, "kb", 1024, 0, MaxBigKiB)
	if !ok {
		return
	}
	left := int64(kb) * 1024
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.FormatInt(left, 10))
	for left > 0 {
		n := min(left, int64(len(bigChunk)))
		if _, err := w.Write(bigChunk[:n]); err != nil {
			return // the client went away
		}
		left -= n
	}
}

// reset closes the connection without an answer. Linger 0 makes the close
// send a TCP RST, which clients see as "connection reset by peer".
func (a *App) reset(w http.ResponseWriter, r *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "reset needs an HTTP/1 connection to hijack", http.StatusInternalServerError)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		http.Error(w, "reset: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // best effort: without it the close is a FIN
	}
	// Counted before the close: the client sees the reset at once and may
	// read the count before this goroutine runs again.
	a.resets.Add(1)
	conn.Close()
}

// stall makes every request arriving in the next ?ms= milliseconds (at most
// MaxSlow; 0 ends a stall) wait until the stall ends, like a server pausing
// for garbage collection. /admin/ and /api/stats are never held.
func (a *App) stall(w http.ResponseWriter, r *http.Request) {
	ms, ok := intParam(w, r, "ms", 500, 0, int(MaxSlow/time.Millisecond))
	if !ok {
		return
	}
	var until int64
	if ms > 0 {
		until = a.now() + int64(time.Duration(ms)*time.Millisecond)
	}
	a.stallUntil.Store(until)
	writeJSON(w, http.StatusOK, struct {
		StallMS int   `json:"stall_ms"`
		Until   int64 `json:"until_ns"`
	}{ms, until})
}

// echo answers what it got, for tests of headers, query, form and JSON bodies.
func (a *App) echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		http.Error(w, "echo: reading the body: "+err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	out := struct {
		Method  string              `json:"method"`
		Path    string              `json:"path"`
		Host    string              `json:"host"`
		Query   map[string][]string `json:"query"`
		Headers map[string][]string `json:"headers"`
		Body    string              `json:"body"`
		Form    map[string][]string `json:"form,omitempty"`
		JSON    any                 `json:"json,omitempty"`
	}{Method: r.Method, Path: r.URL.Path, Host: r.Host, Query: r.URL.Query(), Headers: r.Header}
	if utf8.Valid(body) {
		out.Body = string(body)
	} else {
		out.Body = fmt.Sprintf("(%d bytes, not UTF-8)", len(body))
	}
	switch {
	case isJSON(r) && len(body) > 0:
		if err := json.Unmarshal(body, &out.JSON); err != nil {
			http.Error(w, "echo: the JSON body is not valid: "+err.Error(), http.StatusBadRequest)
			return
		}
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		// Parse the copy we already read; the body itself is consumed.
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if err := r.ParseForm(); err != nil {
			http.Error(w, "echo: the form body is not valid: "+err.Error(), http.StatusBadRequest)
			return
		}
		out.Form = r.PostForm
	}
	writeJSON(w, http.StatusOK, out)
}

// headers sets response headers for header extractors and checks (one of
// them twice), and answers the request headers as JSON.
func (a *App) headers(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Demo", "loadrun")
	h.Set("X-Request-Id", rand.Text())
	h.Set("Cache-Control", "no-store")
	h.Set("ETag", `"demo-v1"`)
	h.Set("Server-Timing", "app;dur=0.1")
	h.Add("X-Multi", "one")
	h.Add("X-Multi", "two")
	writeJSON(w, http.StatusOK, struct {
		Headers map[string][]string `json:"headers"`
	}{r.Header})
}

// localPath reports whether to is a path on this server: redirects go
// nowhere else, so the demo is not an open redirector.
func localPath(to string) bool {
	return strings.HasPrefix(to, "/") && !strings.HasPrefix(to, "//") && !strings.HasPrefix(to, `/\`)
}

// redirect sends the client to ?to= (a local path, default /) with ?code=
// (301, 302, 303, 307 or 308; default 302).
func (a *App) redirect(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	if to == "" {
		to = "/"
	}
	if !localPath(to) {
		http.Error(w, fmt.Sprintf("to=%q: want a path on this server, starting with /", to), http.StatusBadRequest)
		return
	}
	code, ok := intParam(w, r, "code", http.StatusFound, 301, 308)
	if !ok {
		return
	}
	switch code {
	case 301, 302, 303, 307, 308:
	default:
		http.Error(w, fmt.Sprintf("code=%d: want 301, 302, 303, 307 or 308", code), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, to, code)
}

// maxChain bounds /redirect/{n}.
const maxChain = 20

// redirectChain redirects n times (/redirect/3 → /redirect/2 → … →
// /redirect/0, which answers 200), for redirect-limit tests.
func (a *App) redirectChain(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n > maxChain {
		http.Error(w, fmt.Sprintf("redirect/%s: want a count from 0 to %d", r.PathValue("n"), maxChain), http.StatusBadRequest)
		return
	}
	if n > 0 {
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusFound)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Redirected bool `json:"redirected"`
	}{true})
}

// cookies answers the cookies the client sent.
func (a *App) cookies(w http.ResponseWriter, r *http.Request) {
	got := map[string]string{}
	for _, c := range r.Cookies() {
		got[c.Name] = c.Value
	}
	writeJSON(w, http.StatusOK, struct {
		Cookies map[string]string `json:"cookies"`
	}{got})
}

// setCookies sets one cookie (Path=/) per query parameter.
func (a *App) setCookies(w http.ResponseWriter, r *http.Request) {
	set := map[string]string{}
	for name, vals := range r.URL.Query() {
		c := &http.Cookie{Name: name, Value: vals[len(vals)-1], Path: "/"}
		if err := c.Valid(); err != nil {
			http.Error(w, fmt.Sprintf("cookie %q: %v", name, err), http.StatusBadRequest)
			return
		}
		set[name] = c.Value
	}
	for name, v := range set {
		http.SetCookie(w, &http.Cookie{Name: name, Value: v, Path: "/"})
	}
	writeJSON(w, http.StatusOK, struct {
		Cookies map[string]string `json:"cookies"`
	}{set})
}
