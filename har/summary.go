package har

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Summary is what an import did: what it dropped and why, what it
// correlated, and which typed values became variables.
type Summary struct {
	File string
	// Entries is how many entries the recording has; Steps how many
	// requests the scenario sends.
	Entries, Steps int
	// Host is the recorded main host (scheme://host[:port]).
	Host string
	// Dropped are the entries left out, by reason, in order of first drop.
	Dropped []*Drop
	// Headers are the request headers left out, by name.
	Headers []*HeaderDrop
	// Correlations are the values handed out by the server and sent back.
	Correlations []*Correlation
	// Vars are the variables made from typed values.
	Vars []string
	// Notes are other things worth knowing (an unreadable body, …).
	Notes []string

	headerIndex map[string]*HeaderDrop
}

// Drop counts entries left out for one reason.
type Drop struct {
	Reason   string
	Count    int
	Examples []string // the first few, distinct
}

// HeaderDrop counts one request header left out.
type HeaderDrop struct {
	Name    string // lower case
	Verdict HeaderVerdict
	Count   int
}

func (s *Summary) drop(reason, example string) {
	i := slices.IndexFunc(s.Dropped, func(d *Drop) bool { return d.Reason == reason })
	if i < 0 {
		s.Dropped = append(s.Dropped, &Drop{Reason: reason})
		i = len(s.Dropped) - 1
	}
	d := s.Dropped[i]
	d.Count++
	if len(d.Examples) < 3 && !slices.Contains(d.Examples, example) {
		d.Examples = append(d.Examples, example)
	}
}

func (s *Summary) dropHeader(name string, v HeaderVerdict) {
	name = strings.ToLower(name)
	if s.headerIndex == nil {
		s.headerIndex = map[string]*HeaderDrop{}
	}
	if h := s.headerIndex[name]; h != nil {
		h.Count++
		return
	}
	if len(s.Headers) >= maxHeaderNames {
		return
	}
	h := &HeaderDrop{Name: name, Verdict: v, Count: 1}
	s.headerIndex[name] = h
	s.Headers = append(s.Headers, h)
}

// maxHeaderNames bounds the distinct dropped header names listed.
const maxHeaderNames = 200

// DroppedCount is how many entries were left out.
func (s *Summary) DroppedCount() int {
	n := 0
	for _, d := range s.Dropped {
		n += d.Count
	}
	return n
}

func (s *Summary) droppedText() string {
	var parts []string
	for _, d := range s.Dropped {
		parts = append(parts, fmt.Sprintf("%d %s", d.Count, d.Reason))
	}
	return strings.Join(parts, "; ")
}

var verdictText = map[HeaderVerdict]string{
	DropCookie:    "the user's cookie jar sends cookies",
	DropPseudo:    "HTTP/2 pseudo-headers",
	DropBrowser:   "added by the browser or the HTTP client",
	DropBodyTyped: "loadrun sets the type of form and json bodies",
	DropInvalid:   "not valid header names",
}

// Write prints the summary for a person (the command writes it to stderr).
func (s *Summary) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d entries, %d requests kept (host %s)\n", s.File, s.Entries, s.Steps, s.Host)
	if len(s.Dropped) > 0 {
		fmt.Fprintf(&b, "dropped %d entries:\n", s.DroppedCount())
		for _, d := range s.Dropped {
			more := ""
			if d.Count > len(d.Examples) {
				more = ", …"
			}
			fmt.Fprintf(&b, "  %4d  %s: %s%s\n", d.Count, d.Reason, strings.Join(d.Examples, ", "), more)
		}
	}
	if len(s.Headers) > 0 {
		b.WriteString("dropped request headers:\n")
		for _, v := range []HeaderVerdict{DropCookie, DropPseudo, DropBrowser, DropBodyTyped, DropInvalid} {
			var names []string
			for _, h := range s.Headers {
				if h.Verdict == v {
					names = append(names, h.Name)
				}
			}
			if len(names) > 0 {
				fmt.Fprintf(&b, "  %s (%s)\n", strings.Join(names, ", "), verdictText[v])
			}
		}
	}
	if len(s.Correlations) > 0 {
		fmt.Fprintf(&b, "correlated %d values (extracted where found, sent back as ${var}):\n", len(s.Correlations))
		for _, c := range s.Correlations {
			uses := c.Uses
			more := ""
			if len(uses) > 3 {
				uses, more = uses[:3], fmt.Sprintf(" and %d more", len(c.Uses)-3)
			}
			fmt.Fprintf(&b, "  %s  found in %s (%s); sent by %s%s\n", c.Var, c.Found, c.Extractor, strings.Join(uses, ", "), more)
		}
	} else {
		b.WriteString("no values correlated\n")
	}
	if len(s.Vars) > 0 {
		fmt.Fprintf(&b, "typed values made vars (put your test data there): %s\n", strings.Join(s.Vars, ", "))
	}
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	// Names and URLs come from the recording: nothing of theirs may reach
	// the terminal as a control sequence.
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	for i, l := range lines {
		lines[i] = safeLine(l)
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

// safeLine shows control and invisible characters as \u escapes.
func safeLine(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' || r == utf8.RuneError {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
