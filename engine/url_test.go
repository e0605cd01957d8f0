package engine_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/internal/memnet"
	"github.com/loadrun/loadrun/scenario"
)

// TestOtherSchemesRejected: a URL with a scheme other than http(s) is a
// load error at its file:line:col; before, ftp://… was sent to the host
// as a path.
func TestOtherSchemesRejected(t *testing.T) {
	cases := []struct {
		url  string
		want string // "" when the URL is fine
	}{
		{"ftp://files.test/a", "scheme ftp"},         // the case
		{"file:///etc/passwd", "scheme file"},        // local files
		{"FILE:/etc/passwd", "scheme file"},          // any case
		{"ws://chat.test/socket", "scheme ws"},       // not HTTP
		{"gopher://old.test/", "scheme gopher"},      // any scheme with //
		{"javascript:alert(1)", "scheme javascript"}, // browser pseudo-URLs
		{"http://ok.test/", ""},                      // http
		{"https://ok.test/", ""},                     // https
		{"/a:b/c", ""},                               // a colon in a path
		{"/items?t=12:30", ""},                       // a colon in a query
		{"${next}", ""},                              // decided at run time
	}
	for _, c := range cases {
		src := "host: http://127.0.0.1:1\nusers:\n  - name: U\n    tasks:\n      - steps:\n          - request: {url: \"" + c.url + "\"}\n" +
			"vars: {next: /n}\n" // ${next} must be set by something
		sc, err := scenario.Parse("s.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%s: parse: %v", c.url, err)
		}
		_, err = engine.Compile(sc, engine.CompileOptions{})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", c.url, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "s.yaml:6:")):
			t.Errorf("%s: error %v, want s.yaml:6:…%s", c.url, err, c.want)
		}
	}
}

// TestIPv6Host: -H http://[::1] (an IPv6 literal without a port) dials
// [::1]:80 and sends Host: [::1]; before, it dialled "[[::1]]:80" and failed.
func TestIPv6Host(t *testing.T) {
	l := memnet.Listen()
	var mu sync.Mutex
	var hosts, addrs []string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "1"})
	})}
	go srv.Serve(l)
	defer srv.Close()
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		addrs = append(addrs, addr)
		mu.Unlock()
		return l.Dial(ctx, network, addr)
	}
	for _, c := range []struct{ host, addr, hostHeader string }{
		{"http://[::1]", "[::1]:80", "[::1]"},                          // no port
		{"http://[::1]:8080", "[::1]:8080", "[::1]:8080"},              // a port
		{"http://[2001:db8::5]/", "[2001:db8::5]:80", "[2001:db8::5]"}, // any address
	} {
		hosts, addrs = nil, nil
		src := "users:\n  - name: U\n    tasks: [{steps: [{request: {url: /a}}, {request: {url: /b}}]}]\n"
		snap := runToEnd(t, src, c.host, 1, 0, engine.Options{Iterations: 1, Dial: dial})
		mu.Lock()
		if snap.Total.Failures != 0 || len(addrs) != 1 || addrs[0] != c.addr || len(hosts) != 2 || hosts[0] != c.hostHeader {
			t.Errorf("-H %s: failures %v, dialled %v, Host %v; want %s and Host %s", c.host, errorsOf(snap), addrs, hosts, c.addr, c.hostHeader)
		}
		mu.Unlock()
	}
}
