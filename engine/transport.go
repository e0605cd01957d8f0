package engine

import (
	"crypto/tls"

	"github.com/loadrun/loadrun/engine/httpclient"
)

// DefaultBodyCap is how much of a response body is kept for extractors,
// checks and debug output (httpclient.DefaultBodyCap).
const DefaultBodyCap = httpclient.DefaultBodyCap

// session is one virtual user's HTTP session (engine/httpclient): its own
// connections and cookies. Only abort may be called from another goroutine.
type session struct {
	s *httpclient.Session
}

// abort cuts the user's request in flight; later requests fail at once.
func (s *session) abort() {
	if s.s != nil {
		s.s.Abort()
	}
}

// close releases the user's connections at the end of its life.
func (s *session) close() {
	if s.s != nil {
		s.s.Close()
	}
}

// initHTTP gives a new user its HTTP session and exchange buffers.
func (r *Runner) initHTTP(u *vuser) {
	u.sess.s = httpclient.NewSession(r.httpOpts)
	u.x.BodyCap = r.opts.BodyCap
}

// httpOptions are the HTTP client options of a run.
func httpOptions(opts Options) httpclient.Options {
	o := httpclient.Options{Dial: opts.Dial, MaxHeaderBytes: opts.MaxHeaderBytes}
	if opts.Insecure {
		o.TLS = &tls.Config{InsecureSkipVerify: true}
	}
	return o
}
