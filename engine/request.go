package engine

import (
	"bytes"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/loadrun/loadrun/checks"
	"github.com/loadrun/loadrun/engine/httpclient"
	"github.com/loadrun/loadrun/extractors"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/template"
	"github.com/valyala/fasthttp"
)

// DefaultTimeout bounds a request that sets no timeout of its own.
const DefaultTimeout = 60 * time.Second

type pair struct {
	key   string
	value *template.Template
}

// requestStep is a compiled `request:` step.
type requestStep struct {
	step          string // where the step is, for messages
	method        string
	base          *url.URL
	url           *template.Template
	name          *template.Template // nil: staticName
	staticName    string
	headers       []pair
	query         []pair
	form          []pair
	json          *jsonBody
	body          *template.Template
	timeout       time.Duration
	follow        bool
	extract       []*extractors.Extractor
	checks        []*checks.Check
	statusChecked bool
	onFailure     scenario.OnFailure
}

// failure is the outcome of a step that failed, after its on_failure.
func failure(f scenario.OnFailure) result {
	switch f {
	case scenario.EndIteration:
		return resultEndIteration
	case scenario.StopUser:
		return resultStopUser
	}
	return resultOK
}

func (s *requestStep) run(u *vuser) result {
	key := stats.Key{Method: s.method, Name: s.staticName}
	if s.name != nil {
		var err error
		u.scratch, err = s.name.Render(u.scratch[:0], u.vars)
		if err != nil {
			key.Name = s.name.Text()
			return s.fail(u, key, u.unsetMessage(err))
		}
		key.Name = string(u.scratch)
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	if err := s.build(u, req); err != nil {
		return s.fail(u, key, u.unsetMessage(err))
	}
	timeout := s.timeout
	if timeout <= 0 {
		timeout = u.r.opts.Timeout
	}
	var tr *RequestTrace
	if u.r.tracer != nil {
		tr = &RequestTrace{Step: s.step}
	}
	elapsed, errText := u.send(req, resp, s.follow, timeout, tr)
	if errText == errAbortedText {
		return resultStopUser
	}
	// Open model: the first request of an iteration is timed from the
	// moment its arrival was due (see openRun.serve).
	elapsed += u.lag
	u.lag = 0
	// Only a request that got a whole response has a whole set of phases.
	timed := u.x.Timed && errText == ""
	if errText == "" {
		if tr != nil {
			tr.response(resp, u.x.Body, u.x.Size, elapsed)
		}
		errText = s.examine(u, key, resp, elapsed, tr)
	}
	// Let go of the response, any parsed HTML tree and the body buffer
	// before thinking: an idle user should hold nothing.
	u.src.Reset(nil)
	if cap(u.decoded) > 64<<10 {
		u.decoded = nil // a thinking user keeps no large buffer
	}
	clear(u.view.values)
	u.view = respView{values: u.view.values[:0]}
	u.x.Release()
	u.rec.Request(key, elapsed, u.x.Size, errText)
	if timed {
		u.rec.Phases(key, u.x.Phases)
	}
	if tr != nil {
		tr.Error = errText
		u.r.tracer.Request(u.id, tr)
	}
	if errText != "" {
		return failure(s.onFailure)
	}
	return resultOK
}

// fail counts a request that could not be sent (an unset variable).
func (s *requestStep) fail(u *vuser, key stats.Key, msg string) result {
	u.rec.Unsent(key, msg)
	if u.r.tracer != nil {
		u.r.tracer.Request(u.id, &RequestTrace{Step: s.step, Method: s.method, URL: s.url.Text(), Error: msg})
	}
	return failure(s.onFailure)
}

// build renders the request. Its error is a template error.
func (s *requestStep) build(u *vuser, req *fasthttp.Request) error {
	var err error
	if u.urlBuf, err = s.url.RenderEscaped(u.urlBuf[:0], u.vars, escapeInserted); err != nil {
		return err
	}
	b := u.scratch[:0]
	if s.base != nil && !isAbsoluteURL(u.urlBuf) {
		b = append(b, s.base.Scheme...)
		b = append(b, "://"...)
		b = append(b, s.base.Host...)
		b = append(b, s.base.Path...)
		if len(u.urlBuf) > 0 && u.urlBuf[0] != '/' && u.urlBuf[0] != '?' {
			b = append(b, '/')
		}
		b = append(b, u.urlBuf...)
		req.SetRequestURIBytes(b)
	} else {
		req.SetRequestURIBytes(u.urlBuf)
	}
	// Send the URL's path as written and as escapeInserted encoded it:
	// fasthttp would otherwise decode %2F in a value into a path separator.
	req.URI().DisablePathNormalizing = true
	req.Header.SetMethod(s.method)
	if len(s.query) > 0 {
		args := req.URI().QueryArgs()
		for _, q := range s.query {
			if b, err = q.value.Render(b[:0], u.vars); err != nil {
				return err
			}
			args.AddBytesV(q.key, b)
		}
	}
	for _, h := range s.headers {
		if b, err = h.value.Render(b[:0], u.vars); err != nil {
			return err
		}
		req.Header.SetBytesV(h.key, b)
	}
	switch {
	case len(s.form) > 0:
		args := req.PostArgs()
		for _, f := range s.form {
			if b, err = f.value.Render(b[:0], u.vars); err != nil {
				return err
			}
			args.AddBytesV(f.key, b)
		}
		if len(req.Header.ContentType()) == 0 || bytes.Equal(req.Header.ContentType(), defaultContentType) {
			req.Header.SetContentType("application/x-www-form-urlencoded")
		}
	case s.json != nil:
		if b, err = s.json.render(b[:0], u.vars); err != nil {
			return err
		}
		req.SetBody(b)
		if len(req.Header.ContentType()) == 0 || bytes.Equal(req.Header.ContentType(), defaultContentType) {
			req.Header.SetContentType("application/json")
		}
	case s.body != nil:
		if b, err = s.body.Render(b[:0], u.vars); err != nil {
			return err
		}
		req.SetBody(b)
	}
	u.scratch = b
	return nil
}

var defaultContentType = []byte("text/plain; charset=utf-8")

func isAbsoluteURL(b []byte) bool {
	return bytes.HasPrefix(b, []byte("http://")) || bytes.HasPrefix(b, []byte("https://"))
}

const errAbortedText = "\x00aborted"

// send performs req with the user's session (cookies, redirects when
// follow). It returns the time of the whole exchange (all hops) and an
// error text, "" when a response arrived.
func (u *vuser) send(req *fasthttp.Request, resp *fasthttp.Response, follow bool, timeout time.Duration, tr *RequestTrace) (time.Duration, string) {
	deadline := time.Now().Add(timeout)
	u.x.Timed = u.r.opts.Phases
	var sent func(*fasthttp.Request)
	if tr != nil {
		sent = tr.request
	}
	total, answered, err := u.sess.s.Send(req, resp, &u.x, follow, deadline, sent)
	if answered && !u.r.answered.Load() {
		u.r.answered.Store(true)
	}
	if err != nil {
		if errors.Is(err, httpclient.ErrAborted) {
			if total == 0 {
				return total, errAbortedText // never sent: nothing to count
			}
			// Sent and still waiting when the run ended: counted, as a
			// failure of its own kind, timed by how long it had waited.
			return total, CutAtEnd
		}
		return total, httpclient.Describe(err, timeout)
	}
	return total, ""
}

// examine runs the status rule, the extractors and the checks on a
// response. It returns the failure text, or "".
func (s *requestStep) examine(u *vuser, key stats.Key, resp *fasthttp.Response, elapsed time.Duration, tr *RequestTrace) string {
	body := u.x.Body
	decodeErr := ""
	// A compressed body is always decoded, as a browser does, so that a
	// corrupt one is a failure even when nothing reads it.
	if enc := resp.Header.ContentEncoding(); len(enc) > 0 {
		var err error
		u.decoded, err = httpclient.Decode(u.decoded, body, enc, u.x.BodyCap, u.x.Size > int64(len(body)))
		body = u.decoded
		if err != nil {
			decodeErr = err.Error()
		}
		if tr != nil {
			tr.RespBody = excerpt(body)
		}
	}
	u.view.resp, u.view.body, u.view.elapsed = resp, body, elapsed
	u.src.Reset(&u.view)
	failed := decodeErr
	code := resp.StatusCode()
	if failed == "" && !s.statusChecked && code >= 400 {
		failed = "HTTP " + strconv.Itoa(code) + " " + fasthttp.StatusMessage(code)
	}
	for _, x := range s.extract {
		v, err := x.Extract(u.src, u.rnd)
		if tr != nil {
			e := Extracted{Var: x.Var(), Value: v}
			if err != nil {
				e.Error = err.Error()
			}
			tr.Extracted = append(tr.Extracted, e)
		}
		if err != nil {
			if failed == "" {
				failed = err.Error()
			}
			continue
		}
		u.vars[x.Var()] = v
	}
	for _, c := range s.checks {
		ok, msg := c.Run(u.src, u.vars)
		u.rec.Check(key, c.Name(), ok)
		if tr != nil {
			tr.Checks = append(tr.Checks, CheckTrace{Name: c.Name(), OK: ok, Msg: msg})
		}
		if !ok && failed == "" {
			failed = msg
		}
	}
	return failed
}

// respView shows a fasthttp response to extractors and checks.
type respView struct {
	resp    *fasthttp.Response
	body    []byte
	elapsed time.Duration
	// values backs HeaderValues' result. Extractors and checks read the
	// values and copy the strings they keep, never the slice, so one slice
	// per user serves every header lookup.
	values []string
}

func (v *respView) StatusCode() int { return v.resp.StatusCode() }

func (v *respView) HeaderValues(name string) []string {
	all := v.resp.Header.PeekAll(name)
	if len(all) == 0 {
		return nil
	}
	out := v.values[:0]
	for _, b := range all {
		out = append(out, string(b))
	}
	v.values = out
	return out
}

func (v *respView) Cookie(name string) (string, bool) {
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	c.SetKey(name)
	if !v.resp.Header.Cookie(c) {
		return "", false
	}
	return string(c.Value()), true
}

func (v *respView) Body() []byte           { return v.body }
func (v *respView) Elapsed() time.Duration { return v.elapsed }
