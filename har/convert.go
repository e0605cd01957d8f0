package har

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

// Options control an import.
type Options struct {
	// Host replaces the recorded main host in the scenario's `host`.
	Host string
	// IncludeHosts are further hosts whose requests are kept (with
	// absolute URLs); requests to any other host are dropped.
	IncludeHosts []string
	// KeepStatic keeps images, fonts, style sheets, scripts and media.
	KeepStatic bool
	// NoThink drops the think steps made from the recorded pauses.
	NoThink bool
	// Name is the scenario's name (default "recorded session").
	Name string
	// Output is the file the scenario is written to, named in its header
	// comment ("" for standard output).
	Output string
	// Replay keeps every recorded value as it was sent, without
	// correlation or vars: the plain replay that other HAR converters
	// produce, for comparing against.
	Replay bool
	// Limits bound memory and time; zero fields take DefaultLimits.
	Limits Limits
}

// Thinking shorter than minThink is page loading, not a user pausing;
// longer pauses are capped at maxThink.
const (
	minThink = time.Second
	maxThink = time.Minute
)

// step is one request of the scenario: a kept entry (and, when the
// recording followed a redirect, the entry whose response the engine will
// see after following it the same way).
type step struct {
	n        int // 0-based position among the steps
	entry    *Entry
	final    *Entry
	u        *url.URL
	absolute bool // a host other than the main one: written as a full URL
	think    time.Duration

	// The request as written, after correlation.
	method   string
	url      string
	name     string
	headers  []kv
	query    []kv
	form     []kv
	jsonBody string
	body     *string
	status   int // a status check when the recorded answer was >= 400
	extracts []*extract
	uses     []string // comments: which variables this request sends, from where
	login    bool
	logout   bool
}

// kv is one written pair; v is template text (literal `${` escaped).
type kv struct{ k, v string }

// extract is an extractor added to a step's response.
type extract struct {
	v       string
	kind    string // jsonpath, header, regex
	expr    string
	nth     int
	comment string
}

// label is how messages name a step: "GET /login (step 2)".
func (s *step) label() string {
	return fmt.Sprintf("%s %s (step %d)", s.entry.Request.Method, s.u.EscapedPath(), s.n+1)
}

// Convert turns a parsed recording into a scenario.
func Convert(log *Log, opts Options) (*Result, error) {
	opts.Limits = opts.Limits.withDefaults()
	sum := &Summary{File: log.Name, Entries: len(log.Entries)}
	main := mainOrigin(log.Entries, opts.KeepStatic)
	if main == nil {
		return nil, &Error{File: log.Name, Where: "log.entries", Msg: "no http or https request in the recording"}
	}
	sum.Host = main.Scheme + "://" + main.Host
	steps := selectSteps(log.Entries, main, opts, sum)
	if len(steps) == 0 {
		return nil, &Error{File: log.Name, Msg: "every request was dropped (" + sum.droppedText() + "); nothing to import. Try --keep-static or --include-host"}
	}
	if !opts.NoThink {
		setThinks(log.Entries, steps)
	}
	c := newCorrelator(steps, opts, sum)
	for _, s := range steps {
		c.request(s)
		c.ix.addResponse(s.n, s.u.Path, &s.final.Response)
		if s.final.Response.BodyNote != "" {
			sum.Notes = append(sum.Notes, fmt.Sprintf("%s: %s", s.label(), s.final.Response.BodyNote))
		}
	}
	sum.Steps = len(steps)
	host := sum.Host
	if opts.Host != "" {
		host = strings.TrimRight(opts.Host, "/")
	}
	name := opts.Name
	if name == "" {
		name = "recorded session"
	}
	w := &writer{sum: sum, c: c, host: host, name: name, opts: opts}
	return &Result{YAML: w.write(steps), Summary: sum}, nil
}

// Result is an imported scenario and what the import did.
type Result struct {
	// YAML is the scenario file's text.
	YAML []byte
	// Summary says what was dropped, correlated and made a variable.
	Summary *Summary
}

// mainOrigin is the scheme and host that served most of the recording's
// non-static requests (the first such host on a tie).
func mainOrigin(entries []*Entry, keepStatic bool) *url.URL {
	counts := map[string]int{}
	var order []*url.URL
	for pass := 0; pass < 2 && len(order) == 0; pass++ {
		for _, e := range entries {
			u, err := url.Parse(e.Request.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				continue
			}
			if pass == 0 && !keepStatic && IsStatic(e) {
				continue
			}
			o := u.Scheme + "://" + strings.ToLower(u.Host)
			if counts[o] == 0 {
				order = append(order, &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host)})
			}
			counts[o]++
		}
	}
	var best *url.URL
	for _, u := range order {
		if best == nil || counts[u.Scheme+"://"+u.Host] > counts[best.Scheme+"://"+best.Host] {
			best = u
		}
	}
	return best
}

// selectSteps drops what the scenario should not send and merges the
// redirect hops the engine follows by itself.
func selectSteps(entries []*Entry, main *url.URL, opts Options, sum *Summary) []*step {
	var steps []*step
	for _, e := range entries {
		u, err := url.Parse(e.Request.URL)
		what := e.Request.Method + " " + e.Request.URL
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			sum.drop("not an http(s) URL", what)
			continue
		case e.Response.Status == 0:
			sum.drop("no answer recorded (cancelled or blocked in the browser)", what)
			continue
		case e.Request.Method == "OPTIONS" && Get(e.Request.Headers, "Access-Control-Request-Method") != "":
			sum.drop("CORS preflight (the browser sends it by itself)", what)
			continue
		}
		if len(steps) > 0 && followsRedirect(steps[len(steps)-1], e, u) {
			steps[len(steps)-1].final = e
			sum.drop("redirect followed (loadrun follows redirects by itself)", what)
			continue
		}
		host := strings.ToLower(u.Host)
		other := host != main.Host || u.Scheme != main.Scheme
		switch {
		case other && !hostMatches(host, opts.IncludeHosts):
			sum.drop("other hosts (keep them with --include-host)", u.Scheme+"://"+u.Host)
			continue
		case !opts.KeepStatic && IsStatic(e):
			sum.drop("static assets: images, fonts, CSS, JS, media (keep them with --keep-static)", what)
			continue
		case len(e.Request.Body) > opts.Limits.MaxBodyBytes:
			sum.drop(fmt.Sprintf("request body over %d KiB", opts.Limits.MaxBodyBytes>>10), what)
			continue
		}
		steps = append(steps, &step{n: len(steps), entry: e, final: e, u: u, absolute: other})
	}
	return steps
}

// followsRedirect reports whether e is the request a client sends to
// follow the redirect that answered the previous step.
func followsRedirect(prev *step, e *Entry, u *url.URL) bool {
	code := prev.final.Response.Status
	if code != 301 && code != 302 && code != 303 && code != 307 && code != 308 {
		return false
	}
	loc := Get(prev.final.Response.Headers, "Location")
	if loc == "" {
		return false
	}
	base, err := url.Parse(prev.final.Request.URL)
	if err != nil {
		return false
	}
	target, err := base.Parse(loc)
	if err != nil {
		return false
	}
	target.Fragment = ""
	u2 := *u
	u2.Fragment = ""
	return target.String() == u2.String()
}

// setThinks turns the pauses before each step into think times: the time
// from the end of everything that was loading to the step's start. Entries
// are sorted by start once, so this takes O(n log n).
func setThinks(entries []*Entry, steps []*step) {
	timed := make([]*Entry, 0, len(entries))
	for _, e := range entries {
		if !e.Started.IsZero() {
			timed = append(timed, e)
		}
	}
	slices.SortStableFunc(timed, func(a, b *Entry) int { return a.Started.Compare(b.Started) })
	// busyUntil[i] is the latest end among timed[:i+1].
	busyUntil := make([]time.Time, len(timed))
	for i, e := range timed {
		busyUntil[i] = e.Started.Add(e.Time)
		if i > 0 && busyUntil[i-1].After(busyUntil[i]) {
			busyUntil[i] = busyUntil[i-1]
		}
	}
	for _, s := range steps[1:] {
		start := s.entry.Started
		if start.IsZero() {
			continue
		}
		// The entries that started before this step.
		n, _ := slices.BinarySearchFunc(timed, start, func(e *Entry, t time.Time) int { return e.Started.Compare(t) })
		if n == 0 {
			continue
		}
		if gap := start.Sub(busyUntil[n-1]); gap >= minThink {
			s.think = min(gap.Round(time.Second), maxThink)
		}
	}
}

// login-like and logout-like paths.
var (
	loginWords  = []string{"login", "signin", "sign-in", "sign_in", "logon", "log-in", "authenticate", "auth/token", "oauth/token", "session"}
	logoutWords = []string{"logout", "signout", "sign-out", "sign_out", "logoff", "log-out"}
)

func containsAny(s string, words []string) bool {
	s = strings.ToLower(s)
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// splitOnStart finds the steps up to and including the login, which go to
// on_start (run once per user), when the recording logs in once and never
// out; otherwise every step is one task.
func splitOnStart(steps []*step) int {
	first := -1
	for i, s := range steps {
		if s.logout || (s.login && first >= 0) {
			return 0
		}
		if s.login && first < 0 {
			first = i
		}
	}
	if first < 0 || first == len(steps)-1 {
		return 0
	}
	return first + 1
}

// isPasswordKey reports whether a field name looks like a password's.
func isPasswordKey(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "pass") || strings.Contains(k, "pwd")
}

// idLike reports whether a path segment is an identifier rather than a
// fixed word: a number, a UUID, a long hex string, or a long mix of
// letters and digits.
func idLike(seg string) bool {
	if seg == "" {
		return false
	}
	digits, letters, hex := 0, 0, true
	for _, c := range seg {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			letters++
		case c >= 'g' && c <= 'z', c >= 'G' && c <= 'Z':
			letters++
			hex = false
		case c == '-' || c == '_':
			if len(seg) != 36 { // a UUID's dashes
				hex = false
			}
		default:
			return false
		}
	}
	switch {
	case letters == 0 && digits > 0:
		return true
	case hex && digits > 0 && len(seg) >= 8:
		return true
	}
	return digits > 0 && letters > 0 && len(seg) >= 16
}

// groupedName is a request's stats name with its ids grouped, e.g.
// /api/orders/[id]; "" when the URL as written is a fine name.
func groupedName(s *step, segs []string, templated []bool) string {
	changed := false
	out := make([]string, len(segs))
	for i, seg := range segs {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			dec = seg
		}
		if templated[i] || idLike(dec) {
			out[i], changed = "[id]", true
			continue
		}
		out[i] = seg
	}
	if !changed && !strings.HasPrefix(s.url, "${") {
		return ""
	}
	name := strings.Join(out, "/")
	if s.absolute {
		name = s.u.Scheme + "://" + s.u.Host + name
	}
	return escapeTemplate(name)
}

// escapeTemplate makes recorded text literal in a scenario: `${` is `$${`.
func escapeTemplate(s string) string { return strings.ReplaceAll(s, "${", "$${") }

// singular drops a plural ending: orders → order, categories → category.
func singular(s string) string {
	switch {
	case len(s) > 4 && strings.HasSuffix(s, "ies"):
		return s[:len(s)-3] + "y"
	case len(s) > 3 && strings.HasSuffix(s, "s") && !strings.HasSuffix(s, "ss"):
		return s[:len(s)-1]
	}
	return s
}

// normKey compares names across styles: orderId, order_id, Order-ID.
func normKey(k string) string {
	var b strings.Builder
	b.Grow(len(k))
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_' || c == '-':
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// lastSegment is the last non-empty segment of a URL path.
func lastSegment(p string) string {
	return path.Base("/" + strings.Trim(p, "/"))
}
