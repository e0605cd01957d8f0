package har

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// writer renders the scenario as commented YAML.
type writer struct {
	b    bytes.Buffer
	sum  *Summary
	c    *correlator
	host string
	name string
	opts Options
}

func (w *writer) line(indent int, format string, args ...any) {
	w.b.WriteString(strings.Repeat(" ", indent))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

func (w *writer) write(steps []*step) []byte {
	s := w.sum
	w.line(0, "# Imported by `loadrun import har` from %s:", oneLine(filepath.Base(s.File)))
	w.line(0, "# %d recorded entries, %d requests kept (%d dropped: see the import's summary).", s.Entries, s.Steps, s.DroppedCount())
	if len(s.Correlations) > 0 {
		w.line(0, "# Values the server handed out are extracted where they first appeared and")
		w.line(0, "# sent back as ${variables}:")
		for _, c := range s.Correlations {
			w.line(0, "#   %-12s %s", c.Var, oneLine(c.Found))
		}
	}
	file := "THIS_FILE"
	if w.opts.Output != "" {
		file = filepath.Base(w.opts.Output)
	}
	w.line(0, "# Try it with one user first:  loadrun debug %s", oneLine(quoteShell(file)))
	w.line(0, "name: %s", quote(w.name))
	w.line(0, "host: %s", quote(w.host))
	if len(w.c.vars) > 0 {
		w.line(0, "# Values typed during the recording: replace them with your test data")
		w.line(0, "# (or draw them from a data pool, see the README's \"Test data\").")
		w.line(0, "vars:")
		for _, v := range w.c.vars {
			w.line(2, "%s: %s", v.k, quote(v.v))
		}
	}
	w.line(0, "users:")
	w.line(2, "- name: RecordedUser")
	w.line(4, "wait: {constant: 1s}   # between two runs of the recorded session")
	split := splitOnStart(steps)
	if split > 0 {
		w.line(4, "on_start:   # up to the login: once per user")
		for _, st := range steps[:split] {
			w.step(6, st)
		}
	}
	w.line(4, "tasks:")
	w.line(6, "- name: recorded session")
	w.line(8, "steps:")
	for _, st := range steps[split:] {
		w.step(10, st)
	}
	return w.b.Bytes()
}

// step writes one request (and the think before it).
func (w *writer) step(in int, s *step) {
	if s.think > 0 {
		w.line(in, "- think: %s", fmtDuration(s.think))
	}
	for _, u := range dedupe(s.uses) {
		w.line(in, "# %s", oneLine(u))
	}
	w.line(in, "- request:   # step %d, recorded %s", s.n+1, oneLine(s.entry.Request.Method+" "+s.u.String()))
	in += 4
	if s.method != "GET" {
		w.line(in, "method: %s", quote(s.method))
	}
	w.line(in, "url: %s", quote(s.url))
	if s.name != "" && s.name != s.url {
		w.line(in, "name: %s", quote(s.name))
	}
	w.pairs(in, "headers", s.headers)
	w.pairs(in, "query", s.query)
	if s.form != nil {
		if len(s.form) == 0 {
			w.line(in, "body: \"\"")
		}
		w.pairs(in, "form", s.form)
	}
	if s.jsonBody != "" {
		w.line(in, "json: %s", s.jsonBody)
	}
	if s.body != nil {
		w.line(in, "body: %s", quote(*s.body))
	}
	if s.status > 0 {
		w.line(in, "check:")
		w.line(in+2, "- status: %d   # as recorded", s.status)
	}
	if len(s.extracts) > 0 {
		w.line(in, "extract:")
		for _, x := range s.extracts {
			w.line(in+2, "# %s", oneLine(x.comment))
			match := ""
			if x.nth > 0 {
				match = fmt.Sprintf(", match: %d", x.nth)
			}
			w.line(in+2, "- {var: %s, %s: %s%s}", x.v, x.kind, quote(x.expr), match)
		}
	}
}

func (w *writer) pairs(in int, key string, ps []kv) {
	if len(ps) == 0 {
		return
	}
	w.line(in, "%s:", key)
	for _, p := range ps {
		w.line(in+2, "%s: %s", quote(p.k), quote(p.v))
	}
}

func dedupe(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// fmtDuration writes a whole-second duration as YAML: 3s, 1m0s.
func fmtDuration(d time.Duration) string {
	return strconv.FormatFloat(math.Round(d.Seconds()), 'f', -1, 64) + "s"
}

// oneLine keeps recorded text from breaking a comment line (or the
// terminal): control and invisible characters are shown as \u escapes,
// and long text is cut.
func oneLine(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n++; n > 200 {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(r) && r != ' ' || r == utf8.RuneError {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var (
	plainYAML    = regexp.MustCompile(`^[A-Za-z_/.][A-Za-z0-9_./+=@%-]*$`)
	yamlKeywords = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "on": true,
		"off": true, "null": true, "y": true, "n": true, "~": true}
)

// quote writes a string as a YAML scalar: plain when nothing in it could
// be read otherwise, single-quoted when printable, else double-quoted.
func quote(s string) string {
	if plainYAML.MatchString(s) && !yamlKeywords[strings.ToLower(s)] && !strings.HasPrefix(s, ".") {
		return s
	}
	printable := utf8.ValidString(s)
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' || r == '\ufeff' {
			printable = false
		}
	}
	if printable {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	var b bytes.Buffer
	writeJSONString(&b, s)
	return b.String()
}

// writeJSON writes a rewritten JSON body in flow style, which YAML reads
// as it is: members in recorded order, literal strings with `${` escaped,
// templates as they are.
func writeJSON(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case *object:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONString(b, k)
			b.WriteString(": ")
			writeJSON(b, x.vals[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case tmplString:
		writeJSONString(b, string(x))
	case string:
		writeJSONString(b, escapeTemplate(x))
	case json.Number:
		b.WriteString(x.String())
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case nil:
		b.WriteString("null")
	}
}

// writeJSONString writes a JSON string that is also a YAML double-quoted
// scalar: anything YAML does not count as printable is escaped.
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r > 0xFFFF && !unicode.IsPrint(r):
			fmt.Fprintf(b, `\U%08x`, r)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\ufeff' || !unicode.IsPrint(r) && r != ' ':
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

var plainShell = regexp.MustCompile(`^[A-Za-z0-9_./+-]+$`)

// quoteShell quotes a file name for a shell command line when it needs it.
func quoteShell(s string) string {
	if plainShell.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
