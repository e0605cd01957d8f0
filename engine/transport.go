package engine

import (
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
	o := r.httpOpts
	o.HTTP2 = o.HTTP2 || u.plan.http2
	u.sess.s = httpclient.NewSession(o)
	u.x.BodyCap = r.opts.BodyCap
}
