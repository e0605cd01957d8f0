package engine_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/scenario"
)

// tlsLog is what a TLS test server saw, request by request.
type tlsLog struct {
	mu      sync.Mutex
	resumed []bool
	protos  []string
	clients []string // client certificate common names
	cookies []string
}

func (l *tlsLog) handler(closeEach bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.resumed = append(l.resumed, r.TLS.DidResume)
		l.protos = append(l.protos, r.Proto)
		cn := ""
		if len(r.TLS.PeerCertificates) > 0 {
			cn = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		l.clients = append(l.clients, cn)
		c, _ := r.Cookie("s")
		if c != nil {
			l.cookies = append(l.cookies, c.Value)
		} else {
			l.cookies = append(l.cookies, "")
		}
		l.mu.Unlock()
		if closeEach {
			w.Header().Set("Connection", "close")
		}
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "v" + fmt.Sprint(len(l.cookies))})
		w.Header().Set("X-Proto", r.Proto)
		fmt.Fprintf(w, `{"proto": %q}`, r.Proto)
	})
}

// startTLS serves h over TLS with the PKI's server certificate.
func startTLS(t *testing.T, pki *testPKI, h http.Handler, h2 bool, conf func(*tls.Config)) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.server}}
	if conf != nil {
		conf(srv.TLS)
	}
	srv.EnableHTTP2 = h2
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestTLSSessionReuse: a user that reconnects (the server closes every
// connection) resumes its TLS session instead of a full handshake, as a
// browser does; tls: {full_handshakes: true} makes every handshake full.
func TestTLSSessionReuse(t *testing.T) {
	pki := newTestPKI(t)
	for _, full := range []bool{false, true} {
		var log tlsLog
		srv := startTLS(t, pki, log.handler(true), false, nil)
		src := fmt.Sprintf(`
tls: {ca: %q, full_handshakes: %v}
users:
  - name: U
    wait: 0s
    tasks: [{steps: [{request: {url: /}}]}]
`, pki.caFile, full)
		snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 5})
		wantAllPassed(t, snap, 5)
		log.mu.Lock()
		resumed := 0
		for _, r := range log.resumed {
			if r {
				resumed++
			}
		}
		switch {
		case !full && (log.resumed[0] || resumed != 4):
			t.Errorf("by default: resumed %v, want every reconnect after the first to resume", log.resumed)
		case full && resumed != 0:
			t.Errorf("full_handshakes: resumed %v, want none", log.resumed)
		}
		log.mu.Unlock()
	}
}

// TestMutualTLS: tls: {cert, key, ca} presents a client certificate to a
// target that requires one and trusts the scenario's CA for the target's
// certificate; without the certificate the handshake fails (a counted
// failure), and a missing file is a load error at tls:'s position.
func TestMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	var log tlsLog
	srv := startTLS(t, pki, log.handler(false), false, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = pki.pool
	})
	src := fmt.Sprintf(`
tls: {cert: %q, key: %q, ca: %q}
users:
  - name: U
    wait: 0s
    tasks: [{steps: [{request: {url: /}}]}]
`, pki.clientCert, pki.clientKey, pki.caFile)
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 3})
	wantAllPassed(t, snap, 3)
	log.mu.Lock()
	if len(log.clients) != 3 || log.clients[0] != "client" {
		t.Errorf("server saw client certificates %v, want \"client\" each time", log.clients)
	}
	log.mu.Unlock()

	noCert := fmt.Sprintf("tls: {ca: %q}\nusers:\n  - name: U\n    tasks: [{steps: [{request: {url: /}}]}]\n", pki.caFile)
	snap = runToEnd(t, noCert, srv.URL, 1, 0, engine.Options{Iterations: 1})
	if snap.Total.Failures != 1 {
		t.Errorf("without a client certificate: %d failures (%v), want 1", snap.Total.Failures, errorsOf(snap))
	}

	sc, err := scenario.Parse("t.yaml", []byte("tls: {cert: /no/such.pem, key: /no/such-key.pem}\nusers:\n  - name: U\n    tasks: [{steps: [{request: {url: /}}]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Compile(sc, engine.CompileOptions{Host: srv.URL}); err == nil || !strings.Contains(err.Error(), "t.yaml:1:") || !strings.Contains(err.Error(), "client certificate") {
		t.Errorf("missing certificate files: error %v, want one at t.yaml:1", err)
	}
}

// TestHTTP2 runs the same scenario over HTTP/2 (http2: true, per user type,
// or Options.HTTP2) and HTTP/1.1 against a server that offers both: the
// protocol changes, cookies, extractors and checks work alike.
func TestHTTP2(t *testing.T) {
	pki := newTestPKI(t)
	cases := []struct {
		name     string
		top      string // the scenario's http2 line
		user     string // the user type's http2 line
		opt      bool
		wantProt string
	}{
		{"default HTTP/1.1", "", "", false, "HTTP/1.1"},
		{"scenario http2", "http2: true", "", false, "HTTP/2.0"},
		{"user type http2", "", "http2: true", false, "HTTP/2.0"},
		{"user type turns it off", "http2: true", "http2: false", false, "HTTP/1.1"},
		{"--http2", "", "", true, "HTTP/2.0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var log tlsLog
			srv := startTLS(t, pki, log.handler(false), true, nil)
			src := fmt.Sprintf(`
tls: {ca: %q}
%s
users:
  - name: U
    wait: 0s
    %s
    tasks:
      - steps:
          - request:
              url: /
              extract:
                - {var: proto, jsonpath: $.proto}
                - {var: s, cookie: s}
              check:
                - header: X-Proto
                  equals: %s
          - request: {url: "/again?p=${proto}&s=${s}"}
`, pki.caFile, c.top, c.user, c.wantProt)
			snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 2, HTTP2: c.opt})
			wantAllPassed(t, snap, 4)
			log.mu.Lock()
			defer log.mu.Unlock()
			for i, p := range log.protos {
				if p != c.wantProt {
					t.Errorf("request %d went over %s, want %s", i, p, c.wantProt)
				}
			}
			if log.cookies[0] != "" || log.cookies[1] != "v1" || log.cookies[3] != "v3" {
				t.Errorf("cookies sent %v, want each response's cookie on the next request", log.cookies)
			}
		})
	}
}

// TestHTTP2Phases: the HTTP/2 client times a request as the fast client
// does: the first request opens the connection (connect and TLS timed),
// the next ones reuse it, and every request has a send, wait and download.
func TestHTTP2Phases(t *testing.T) {
	pki := newTestPKI(t)
	var log tlsLog
	srv := startTLS(t, pki, log.handler(false), true, nil)
	src := fmt.Sprintf("tls: {ca: %q}\nhttp2: true\nusers:\n  - name: U\n    wait: 0s\n    tasks: [{steps: [{request: {url: /}}]}]\n", pki.caFile)
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 4, Phases: true})
	wantAllPassed(t, snap, 4)
	if len(snap.Phases) != 1 {
		t.Fatalf("%d phase rows, want 1", len(snap.Phases))
	}
	p := snap.Phases[0]
	if p.Requests != 4 || p.Conns != 1 || p.Handshakes != 1 {
		t.Errorf("phases: %d requests, %d connections, %d handshakes; want 4, 1, 1", p.Requests, p.Conns, p.Handshakes)
	}
	if p.TLS.Max() <= 0 || p.Wait.TotalCount() != 4 || p.Download.TotalCount() != 4 {
		t.Errorf("phases: TLS max %d µs, %d waits, %d downloads; want a handshake time and 4 of each", p.TLS.Max(), p.Wait.TotalCount(), p.Download.TotalCount())
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.protos[0] != "HTTP/2.0" {
		t.Errorf("went over %s", log.protos[0])
	}
}
