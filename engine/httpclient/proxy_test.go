package httpclient

import (
	"net/url"
	"testing"
)

// TestProxyChoice: which requests a proxy carries, from --proxy with a
// NO_PROXY list, and from the environment with Go's rules.
func TestProxyChoice(t *testing.T) {
	proxy, _ := url.Parse("http://u:p@proxy.test:3128")
	t.Setenv("HTTP_PROXY", "http://env-proxy.test:8080")
	t.Setenv("HTTPS_PROXY", "http://env-tls-proxy.test:8443")
	t.Setenv("NO_PROXY", "internal.test")
	cases := []struct {
		name string
		opts Options
		url  string
		want string // "" for direct
	}{
		{"--proxy carries http", Options{Proxy: proxy}, "http://shop.test/", "proxy.test:3128"},
		{"--proxy carries https", Options{Proxy: proxy}, "https://shop.test/", "proxy.test:3128"},
		{"--proxy carries loopback", Options{Proxy: proxy}, "http://127.0.0.1:8080/", "proxy.test:3128"},
		{"no_proxy name and subdomains", Options{Proxy: proxy, NoProxy: "shop.test"}, "http://a.shop.test/", ""},
		{"no_proxy leading dot", Options{Proxy: proxy, NoProxy: ".shop.test"}, "http://shop.test/", ""},
		{"no_proxy is not a suffix match", Options{Proxy: proxy, NoProxy: "shop.test"}, "http://myshop.test/", "proxy.test:3128"},
		{"no_proxy with port", Options{Proxy: proxy, NoProxy: "shop.test:8080"}, "http://shop.test:8080/", ""},
		{"no_proxy other port", Options{Proxy: proxy, NoProxy: "shop.test:8080"}, "http://shop.test/", "proxy.test:3128"},
		{"no_proxy default https port", Options{Proxy: proxy, NoProxy: "shop.test:443"}, "https://shop.test/", ""},
		{"no_proxy CIDR", Options{Proxy: proxy, NoProxy: "10.0.0.0/8, 127.0.0.0/8"}, "http://127.0.0.1:9/", ""},
		{"no_proxy IPv6", Options{Proxy: proxy, NoProxy: "[::1]"}, "http://[::1]:8080/", ""},
		{"no_proxy star", Options{Proxy: proxy, NoProxy: "*"}, "http://any.test/", ""},
		{"environment http", Options{ProxyFromEnvironment: true}, "http://shop.test/", "env-proxy.test:8080"},
		{"environment https", Options{ProxyFromEnvironment: true}, "https://shop.test/", "env-tls-proxy.test:8443"},
		{"environment NO_PROXY", Options{ProxyFromEnvironment: true}, "http://api.internal.test/", ""},
		{"environment never proxies loopback", Options{ProxyFromEnvironment: true}, "http://127.0.0.1:8080/", ""},
		{"environment ignored unless asked", Options{}, "http://shop.test/", ""},
	}
	for _, c := range cases {
		u, _ := url.Parse(c.url)
		f := c.opts.proxyFunc()
		got := ""
		if f != nil {
			p, err := f(u)
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			if p != nil {
				got = p.Host
			}
		}
		if got != c.want {
			t.Errorf("%s: %s goes via %q, want %q", c.name, c.url, got, c.want)
		}
	}
}
