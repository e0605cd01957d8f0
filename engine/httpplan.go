package engine

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"

	"github.com/loadrun/loadrun/engine/httpclient"
	"github.com/loadrun/loadrun/scenario"
)

// httpPlan is what a scenario says about its HTTP client.
type httpPlan struct {
	// tls has the client certificate and trusted authorities of `tls:`
	// (nil: none).
	tls            *tls.Config
	fullHandshakes bool
}

// httpSettings compiles the scenario's `tls:` section, reading its files
// now so that a missing or bad one is a load error at its position.
func (c *compiler) httpSettings(sc *scenario.Scenario) {
	t := sc.TLS
	if t == nil {
		return
	}
	hp := &c.plan.http
	hp.fullHandshakes = t.FullHandshakes
	if t.Cert == "" && t.CA == "" {
		return
	}
	conf := &tls.Config{}
	path := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(sc.Dir, p)
	}
	if t.Cert != "" && t.Key != "" {
		cert, err := tls.LoadX509KeyPair(path(t.Cert), path(t.Key))
		if err != nil {
			c.errs.Add(t.Pos, "tls: client certificate %s with key %s: %v", t.Cert, t.Key, err)
		} else {
			conf.Certificates = []tls.Certificate{cert}
		}
	}
	if t.CA != "" {
		pem, err := os.ReadFile(path(t.CA))
		pool := x509.NewCertPool()
		switch {
		case err != nil:
			c.errs.Add(t.Pos, "tls: ca %s: %v", t.CA, err)
		case !pool.AppendCertsFromPEM(pem):
			c.errs.Add(t.Pos, "tls: ca %s holds no PEM certificate", t.CA)
		default:
			conf.RootCAs = pool
		}
	}
	hp.tls = conf
}

// httpOptions are the HTTP client options of a run of plan.
func httpOptions(plan *Plan, opts Options) httpclient.Options {
	o := httpclient.Options{
		Dial:                 opts.Dial,
		MaxHeaderBytes:       opts.MaxHeaderBytes,
		Proxy:                opts.Proxy,
		NoProxy:              opts.NoProxy,
		ProxyFromEnvironment: opts.ProxyFromEnvironment,
		FullHandshakes:       plan.http.fullHandshakes || opts.FullHandshakes,
	}
	if plan.http.tls != nil {
		o.TLS = plan.http.tls.Clone()
	}
	if opts.Insecure {
		if o.TLS == nil {
			o.TLS = &tls.Config{}
		}
		o.TLS.InsecureSkipVerify = true
	}
	return o
}
