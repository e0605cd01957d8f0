package engine_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/engine"
)

// startTinyproxy runs Debian's tinyproxy as a forward proxy on a free
// loopback port, with basic authentication when user is set, and returns
// its port and log path.
func startTinyproxy(t *testing.T, user, password string) (int, string) {
	t.Helper()
	bin := needBinary(t, "tinyproxy", "tinyproxy")
	dir := t.TempDir()
	port := freePort(t)
	logPath := filepath.Join(dir, "tinyproxy.log")
	conf := fmt.Sprintf("Port %d\nListen 127.0.0.1\nTimeout 30\nLogFile %q\nLogLevel Info\nPidFile %q\nMaxClients 20\nAllow 127.0.0.1\nViaProxyName \"tinyproxy\"\n",
		port, logPath, filepath.Join(dir, "tinyproxy.pid"))
	if os.Geteuid() == 0 {
		conf += "User root\nGroup root\n" // keep access to the temporary directory
	}
	if user != "" {
		conf += fmt.Sprintf("BasicAuth %s %s\n", user, password)
	}
	confPath := filepath.Join(dir, "tinyproxy.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startServer(t, port, bin, "-d", "-c", confPath)
	return port, logPath
}

// TestProxy sends a scenario through tinyproxy with --proxy and basic
// credentials: a plain http target is reached through the proxy (the
// target sees tinyproxy's Via header, the proxy logs each request), an
// https target through HTTP CONNECT; wrong credentials are the proxy's
// 407, counted as failures.
func TestProxy(t *testing.T) {
	port, logPath := startTinyproxy(t, "tester", "s3cret")
	plain := startHTTPBin(t)
	pki := newTestPKI(t)
	var tlsSeen tlsLog
	secure := startTLS(t, pki, tlsSeen.handler(false), false, nil)
	proxy := func(auth string) *url.URL {
		u, _ := url.Parse(fmt.Sprintf("http://%s@127.0.0.1:%d", auth, port))
		return u
	}
	src := fmt.Sprintf(`
tls: {ca: %q}
users:
  - name: U
    wait: 0s
    tasks:
      - steps:
          - request:
              url: %s/anything/plain?q=${"a b"}
              check:
                - jsonpath: $.headers.Via[0]
                  contains: tinyproxy
                - jsonpath: $.args.q[0]
                  equals: a b
          - request:
              url: %s/secure
              check:
                - status: 200
`, pki.caFile, plain, secure.URL)
	snap := runToEnd(t, src, plain, 1, 0, engine.Options{Iterations: 2, Proxy: proxy("tester:s3cret")})
	wantAllPassed(t, snap, 4)
	if got := readLog(t, logPath, "GET "+plain+"/anything/plain", 2); len(got) != 2 {
		t.Errorf("tinyproxy logged %d proxied GETs, want 2: %v", len(got), got)
	}
	host := strings.TrimPrefix(secure.URL, "https://")
	if got := readLog(t, logPath, "CONNECT "+host, 1); len(got) < 1 {
		t.Errorf("tinyproxy logged no CONNECT to %s", host)
	}
	tlsSeen.mu.Lock()
	if len(tlsSeen.protos) != 2 {
		t.Errorf("the https target saw %d requests through the tunnel, want 2", len(tlsSeen.protos))
	}
	tlsSeen.mu.Unlock()

	// Wrong credentials: tinyproxy answers 407 for the http target and
	// refuses the CONNECT: every request fails, none reaches a target.
	snap = runToEnd(t, src, plain, 1, 0, engine.Options{Iterations: 1, Proxy: proxy("tester:wrong")})
	if snap.Total.Failures != 2 {
		t.Errorf("wrong proxy credentials: %d failures (%v), want 2", snap.Total.Failures, errorsOf(snap))
	}

	// NO_PROXY names the targets: they are reached directly.
	snap = runToEnd(t, src, plain, 1, 0, engine.Options{Iterations: 1, Proxy: proxy("tester:wrong"), NoProxy: "example.test, 127.0.0.0/8"})
	var viaFailed bool
	for text := range errorsOf(snap) {
		viaFailed = viaFailed || strings.Contains(text, "Via")
	}
	if snap.Total.Failures != 1 || !viaFailed {
		t.Errorf("NO_PROXY: failures %v, want only the Via check to fail (no proxy on the way)", errorsOf(snap))
	}
}
