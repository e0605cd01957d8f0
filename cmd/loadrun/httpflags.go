package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/loadrun/loadrun/engine"
)

// httpFlags are the flags of `loadrun run` that shape its HTTP client.
type httpFlags struct {
	maxHeader      sizeValue
	http2          bool
	proxy          string
	fullHandshakes bool
}

func (h *httpFlags) register(fs *flag.FlagSet) {
	fs.Var(&h.maxHeader, "max-header-size", "largest response header block accepted, e.g. 64k, 1m (default 64k)")
	fs.BoolVar(&h.http2, "http2", false, "send https requests over HTTP/2 when the server offers it")
	fs.StringVar(&h.proxy, "proxy", "", "send every request through this proxy, http://[user:password@]host:port (NO_PROXY hosts excepted; default: HTTP_PROXY/HTTPS_PROXY)")
	fs.BoolVar(&h.fullHandshakes, "tls-full-handshakes", false, "make a full TLS handshake on every new connection (no session resumption)")
}

// apply sets the client options of a run, or says what is wrong with a flag.
func (h *httpFlags) apply(o *engine.Options) error {
	o.MaxHeaderBytes = int(h.maxHeader)
	o.HTTP2 = h.http2
	o.FullHandshakes = h.fullHandshakes
	o.ProxyFromEnvironment = true
	if h.proxy != "" {
		u, err := url.Parse(h.proxy)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
			return fmt.Errorf("--proxy %q is not a proxy URL such as http://proxy.example:3128 or http://user:password@proxy.example:3128", h.proxy)
		}
		o.Proxy = u
		o.NoProxy = os.Getenv("NO_PROXY")
		if o.NoProxy == "" {
			o.NoProxy = os.Getenv("no_proxy")
		}
	}
	return nil
}

// sizeValue is a byte count written as 65536, 64k or 1m (KiB, MiB).
type sizeValue int64

func (v *sizeValue) String() string { return strconv.FormatInt(int64(*v), 10) }

func (v *sizeValue) Set(s string) error {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"kb", 1 << 10}, {"mb", 1 << 20}, {"k", 1 << 10}, {"m", 1 << 20}, {"b", 1}} {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n <= 0 || n > (1<<30)/mult {
		return fmt.Errorf("%q is not a size such as 65536, 64k or 1m (at most 1 GiB)", s)
	}
	*v = sizeValue(n * mult)
	return nil
}
