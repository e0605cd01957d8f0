package httpclient

import (
	"net"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// proxyFunc is the proxy choice of o for a request URL (nil when no proxy
// is configured, so that the plain path does not ask).
func (o *Options) proxyFunc() func(*url.URL) (*url.URL, error) {
	switch {
	case o.Proxy != nil:
		p, noProxy := o.Proxy, parseNoProxy(o.NoProxy)
		return func(u *url.URL) (*url.URL, error) {
			if noProxy.matches(u) {
				return nil, nil
			}
			return p, nil
		}
	case o.ProxyFromEnvironment:
		cfg := httpproxy.FromEnvironment()
		if cfg.HTTPProxy == "" && cfg.HTTPSProxy == "" {
			return nil
		}
		return cfg.ProxyFunc()
	}
	return nil
}

// noProxy is a parsed NO_PROXY list.
type noProxy struct {
	all      bool
	prefixes []netip.Prefix
	hosts    []hostPort // names and addresses; a name matches its subdomains
}

type hostPort struct{ host, port string }

func parseNoProxy(s string) noProxy {
	var n noProxy
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch {
		case f == "":
			continue
		case f == "*":
			n.all = true
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			n.prefixes = append(n.prefixes, p)
			continue
		}
		h, port := f, ""
		if hh, pp, err := net.SplitHostPort(f); err == nil {
			h, port = hh, pp
		}
		n.hosts = append(n.hosts, hostPort{strings.TrimPrefix(strings.Trim(h, "[]"), "."), port})
	}
	return n
}

// matches reports whether u's host is to be reached directly.
func (n noProxy) matches(u *url.URL) bool {
	if n.all {
		return true
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		for _, p := range n.prefixes {
			if p.Contains(ip) {
				return true
			}
		}
	}
	for _, h := range n.hosts {
		if h.port != "" && h.port != port {
			continue
		}
		if host == h.host || strings.HasSuffix(host, "."+h.host) {
			return true
		}
	}
	return false
}
