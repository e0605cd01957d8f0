// Package webui serves loadrun's web page and HTTP API: a browser (or a
// script) starts a run, changes its users, stops it, resets its statistics,
// watches tables and charts update live, and downloads the report files.
// It drives a run through the Controller interface, so the engine knows
// nothing of pages, and the same server can front a distributed master.
//
// Security: the page is same-origin only. State-changing requests from
// another site are refused (403), a request whose Host is not a loopback
// name is refused when the server listens on loopback (DNS rebinding), and
// with basic auth configured every request must carry it (401). Everything
// that came from the target is put in the page as text, never as markup.
package webui

import (
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/loadrun/loadrun/reports"
	htmlreport "github.com/loadrun/loadrun/reports/html"
	"github.com/loadrun/loadrun/stats"
)

//go:embed static
var staticFiles embed.FS

//go:embed static/index.html
var indexHTML string

// Options configure a Server.
type Options struct {
	// Defaults prefill the start form (from -u, -r, -t, -H and the scenario).
	Defaults Params
	// Title names the test in the page's header (the scenario's name).
	Title string
	// User and Password, when User is not empty, make every request need
	// HTTP basic auth with them.
	User, Password string
	// Loopback is true when the server listens on a loopback address only:
	// requests must then name a loopback host (DNS rebinding protection).
	Loopback bool
	// EventInterval is how often /api/events sends an event (default 1 s).
	EventInterval time.Duration
	// Version is loadrun's version, shown in the page's footer.
	Version string
}

// Server is the web UI of one Controller.
type Server struct {
	ctrl    Controller
	opts    Options
	handler http.Handler
	// closed ends every event stream: an open stream would otherwise hold
	// up http.Server.Shutdown until its deadline.
	closed    chan struct{}
	closeOnce sync.Once

	// snapMu guards the cached report: many clients polling at once cost
	// one snapshot per snapshotTTL, not one each.
	snapMu   sync.Mutex
	snapAt   time.Time
	snapRun  reports.Run
	snapStat *stats.Snapshot
	// snapState is the run's state when the cached report was taken.
	snapState string
}

// snapshotTTL is how long a report read by one request serves others.
const snapshotTTL = 500 * time.Millisecond

// New makes the web UI of ctrl.
func New(ctrl Controller, opts Options) *Server {
	if opts.EventInterval <= 0 {
		opts.EventInterval = time.Second
	}
	s := &Server{ctrl: ctrl, opts: opts, closed: make(chan struct{})}
	mux := http.NewServeMux()
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic("webui: embedded static directory missing: " + err.Error())
	}
	files := http.FileServerFS(static)
	mux.HandleFunc("GET /{$}", s.page)
	mux.Handle("GET /static/", http.StripPrefix("/static/", files))
	mux.HandleFunc("GET /static/uplot.js", s.uplotJS)
	mux.HandleFunc("GET /static/uplot.css", s.uplotCSS)
	mux.HandleFunc("GET /api/state", s.state)
	mux.HandleFunc("POST /api/start", s.start)
	mux.HandleFunc("POST /api/users", s.users)
	mux.HandleFunc("POST /api/stop", s.stop)
	mux.HandleFunc("POST /api/reset", s.reset)
	mux.HandleFunc("GET /api/stats", s.stats)
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("GET /download/{file}", s.download)
	mux.Handle("GET /metrics", s.metrics())

	// Outermost first: who may talk to us at all, then who they are, then
	// whether a state change comes from our own page.
	var h http.Handler = mux
	h = http.NewCrossOriginProtection().Handler(h)
	h = s.requireAuth(h)
	h = s.requireLoopbackHost(h)
	s.handler = secureHeaders(h)
	return s
}

// ServeHTTP serves the page, the API, downloads and metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// uplotJS and uplotCSS serve the HTML report's copy of the chart library,
// so that there is one vendored copy.
func (s *Server) uplotJS(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, "text/javascript; charset=utf-8", htmlreport.UPlotJS())
}

func (s *Server) uplotCSS(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, "text/css; charset=utf-8", htmlreport.UPlotCSS())
}

func serveAsset(w http.ResponseWriter, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = io.WriteString(w, body)
}

// page serves the page itself.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, "text/html; charset=utf-8", indexHTML)
}

// Close ends the event streams, so that the HTTP server holding them can
// shut down. The server answers other requests as before.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// report is the latest report, shared by requests within snapshotTTL, and
// the run's status read with it. A change of state (the run stopped, a new
// one started) is never served from the cache, so that a status saying
// "stopped" always comes with the final statistics and the verdict.
func (s *Server) report() (Status, reports.Run, *stats.Snapshot) {
	st := s.ctrl.Status()
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if now := time.Now(); now.Sub(s.snapAt) >= snapshotTTL || st.State != s.snapState {
		s.snapRun, s.snapStat = s.ctrl.Report()
		s.snapAt, s.snapState = now, st.State
	}
	return st, s.snapRun, s.snapStat
}

// fresh forgets the cached report, so that a request made right after a
// state change sees it.
func (s *Server) fresh() {
	s.snapMu.Lock()
	s.snapAt = time.Time{}
	s.snapMu.Unlock()
}

// secureHeaders keeps the page out of frames, stops content sniffing and
// lets the page load only its own scripts and styles: even a bug that put
// target text into markup could not run a script.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "+
			"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

// requireAuth asks for basic auth when the server has a user. Both values
// are hashed before the constant-time comparison, so that neither their
// contents nor their lengths leak through timing.
func (s *Server) requireAuth(next http.Handler) http.Handler {
	if s.opts.User == "" {
		return next
	}
	wantUser := sha256.Sum256([]byte(s.opts.User))
	wantPass := sha256.Sum256([]byte(s.opts.Password))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		gotUser := sha256.Sum256([]byte(user))
		gotPass := sha256.Sum256([]byte(pass))
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
		passOK := subtle.ConstantTimeCompare(gotPass[:], wantPass[:])
		if !ok || userOK&passOK != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="loadrun", charset="UTF-8"`)
			http.Error(w, "401 unauthorized: this loadrun web UI needs the user and password given with --web-auth", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireLoopbackHost refuses, on a loopback listener, a request whose Host
// is not a loopback name: a page of another site whose name was made to
// resolve to 127.0.0.1 (DNS rebinding) would otherwise be same-origin with
// the UI and could start load.
func (s *Server) requireLoopbackHost(next http.Handler) http.Handler {
	if !s.opts.Loopback {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !LoopbackHost(r.Host) {
			http.Error(w, "403 forbidden: this loadrun web UI listens on loopback and answers only to localhost, 127.0.0.1 or [::1], not "+quoteHost(r.Host), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func quoteHost(h string) string {
	if len(h) > 100 {
		h = h[:100] + "…"
	}
	return "“" + strings.ToValidUTF8(h, "?") + "”"
}

// LoopbackHost reports whether a Host header (or listen address), with or
// without a port, names this machine's loopback interface: localhost (or a
// name under .localhost), an address in 127.0.0.0/8, or ::1.
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
