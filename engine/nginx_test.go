package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/engine"
)

// startNginx runs Debian's nginx with HTTP/2 over TLS on a free loopback
// port and returns its base URL and access log path. The log line of each
// request is "protocol method uri cookie=... reused=...".
func startNginx(t *testing.T, pki *testPKI) (string, string) {
	t.Helper()
	bin := needBinary(t, "nginx", "nginx-light")
	dir := t.TempDir()
	port := freePort(t)
	accessLog := filepath.Join(dir, "access.log")
	conf := fmt.Sprintf(`
daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  log_format wire '$server_protocol $request_method $request_uri cookie=$http_cookie reused=$ssl_session_reused';
  access_log %[2]s wire;
  server {
    listen 127.0.0.1:%[3]d ssl http2;
    ssl_certificate %[4]s;
    ssl_certificate_key %[5]s;
    default_type application/json;
    location / {
      add_header Set-Cookie "n=$msec; Path=/";
      add_header X-Proto $server_protocol;
      return 200 '{"proto": "$server_protocol", "uri": "$request_uri"}';
    }
  }
}
`, dir, accessLog, port, pki.serverCert, pki.serverKey)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	startServer(t, port, bin, "-c", confPath, "-p", dir)
	return fmt.Sprintf("https://127.0.0.1:%d", port), accessLog
}

// TestNginxHTTP2 runs a scenario with --http2 against nginx over TLS: every
// request reaches nginx as HTTP/2.0 (its own access log says so), with the
// cookie of the previous response, and the extractors and checks run on
// the HTTP/2 responses; without --http2 the same scenario speaks HTTP/1.1.
func TestNginxHTTP2(t *testing.T) {
	pki := newTestPKI(t)
	base, accessLog := startNginx(t, pki)
	src := fmt.Sprintf(`
tls: {ca: %q}
users:
  - name: U
    wait: 0s
    tasks:
      - steps:
          - request:
              url: /first?q=${"a b"}
              extract:
                - {var: proto, jsonpath: $.proto}
              check:
                - status: 200
                - jsonpath: $.uri
                  equals: /first?q=a%%20b
          - request:
              url: /second/${proto}
              check:
                - header: X-Proto
                  matches: "^HTTP/(1.1|2.0)$"
`, pki.caFile)
	for _, c := range []struct {
		http2 bool
		proto string
	}{{true, "HTTP/2.0"}, {false, "HTTP/1.1"}} {
		snap := runToEnd(t, src, base, 1, 0, engine.Options{Iterations: 3, HTTP2: c.http2})
		wantAllPassed(t, snap, 6)
		// The extracted "HTTP/2.0" went into a path segment: its / encoded.
		lines := readLog(t, accessLog, " /second/"+strings.ReplaceAll(c.proto, "/", "%2F"), 3)
		if len(lines) != 3 {
			data, _ := os.ReadFile(accessLog)
			t.Fatalf("http2=%v: nginx logged %d requests for /second/%s, want 3:\n%s", c.http2, len(lines), c.proto, data)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, c.proto+" GET ") || !strings.Contains(l, "cookie=n=") {
				t.Errorf("http2=%v: nginx logged %q, want %s with the cookie of the previous response", c.http2, l, c.proto)
			}
		}
	}
}
