package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// isJSONName tells a JSON scenario by its file name.
func isJSONName(name string) bool {
	return strings.HasSuffix(strings.ToLower(name), ".json")
}

// strictJSON checks that data is JSON as RFC 8259 defines it (no trailing
// commas, comments or single quotes, which the YAML parser would accept),
// reporting the first syntax error with its line and column. The file is
// then read by the YAML parser, a superset of JSON, to keep positions.
func (p *parser) strictJSON(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		// One value only: "{} {}" is not a JSON document.
		off := int(dec.InputOffset())
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			for off < len(data) && isJSONSpace(data[off]) {
				off++
			}
			p.errs.Add(offsetPos(p.file, data, off), "invalid JSON: unexpected text after the scenario's closing }")
			return false
		}
		return true
	}
	if errors.Is(err, io.EOF) {
		return true // empty: the YAML reader says what a scenario needs
	}
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			p.errs.Add(offsetPos(p.file, data, len(data)), "invalid JSON: the file ends before its last value is closed (a } or ] is missing)")
			return false
		}
		p.errs.Add(Pos{File: p.file, Line: 1, Col: 1}, "invalid JSON: %v", err)
		return false
	}
	off := int(se.Offset) - 1 // Offset is just past the bad byte
	if off < 0 {
		off = 0
	}
	if off >= len(data) {
		p.errs.Add(offsetPos(p.file, data, len(data)), "invalid JSON: the file ends before its last value is closed (a } or ] is missing)")
		return false
	}
	// A trailing comma is the common slip: name it, at the comma.
	if c := data[off]; c == '}' || c == ']' {
		prev := off - 1
		for prev >= 0 && isJSONSpace(data[prev]) {
			prev--
		}
		if prev >= 0 && data[prev] == ',' {
			p.errs.Add(offsetPos(p.file, data, prev), "invalid JSON: a comma before %q; JSON allows no trailing comma", string(c))
			return false
		}
	}
	msg := strings.TrimPrefix(se.Error(), "invalid character ")
	if msg != se.Error() {
		msg = "unexpected character " + msg
	}
	p.errs.Add(offsetPos(p.file, data, off), "invalid JSON: %s", msg)
	return false
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// offsetPos turns a byte offset into a 1-based line and column (in runes).
func offsetPos(file string, data []byte, off int) Pos {
	off = min(off, len(data))
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return Pos{File: file, Line: line, Col: utf8.RuneCount(before[start:]) + 1}
}

// lineText is line n (1-based) of data without its line break, or "".
func lineText(data []byte, n int) string {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return ""
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return strings.TrimSuffix(string(data), "\r")
}

// firstTab finds the first tab in a line's indentation, where YAML forbids
// tabs, and returns its 1-based line and column (0, 0 when there is none).
// Tabs inside values are allowed and skipped.
func firstTab(data []byte) (line, col int) {
	for n, l := range strings.Split(string(data), "\n") {
		for i, r := range l {
			if r == '\t' {
				return n + 1, utf8.RuneCountInString(l[:i]) + 1
			}
			if r != ' ' && r != '-' {
				break
			}
		}
	}
	return 0, 0
}

// yamlColumn guesses, from the text of the reported line, the column a
// YAML syntax error points at: the YAML library gives only a line.
func yamlColumn(text, msg string) int {
	col := func(i int) int { return utf8.RuneCountInString(text[:i]) + 1 }
	switch {
	case strings.HasPrefix(msg, "did not find expected ',' or ']'"):
		if i := unclosed(text, '[', ']'); i >= 0 {
			return col(i)
		}
	case strings.HasPrefix(msg, "did not find expected ',' or '}'"):
		if i := unclosed(text, '{', '}'); i >= 0 {
			return col(i)
		}
	case strings.HasPrefix(msg, "mapping values are not allowed"):
		// The second ": " of a plain value such as `a: b: c`.
		if i := strings.Index(text, ": "); i >= 0 {
			if j := strings.Index(text[i+2:], ": "); j >= 0 {
				return col(i + 2 + j)
			}
		}
		if strings.HasSuffix(text, ":") {
			return col(len(text) - 1)
		}
	case strings.HasPrefix(msg, "found character that cannot start any token"):
		for i, r := range text {
			if r == '@' || r == '`' || r == '\t' {
				return col(i)
			}
		}
	}
	// Else where the line's content starts.
	trimmed := strings.TrimLeft(text, " ")
	return utf8.RuneCountInString(text[:len(text)-len(trimmed)]) + 1
}

// unclosed is the byte index of the last opening bracket on the line that
// is not closed on it, or -1.
func unclosed(text string, open, close byte) int {
	var stack []int
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case open:
			stack = append(stack, i)
		case close:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	if len(stack) == 0 {
		return -1
	}
	return stack[len(stack)-1]
}

// yamlError maps the YAML library's "yaml: line N: msg" to file:line:col:
// msg. The library counts lines from 0 in its parser errors (not in its
// scanner errors) and gives no column, so both are worked out here.
func (p *parser) yamlError(err error) {
	msg := err.Error()
	pos := Pos{File: p.file, Line: 1}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		msg = m[2]
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			pos.Line = n
			if isParserError(msg) {
				pos.Line++
			}
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	// A tab in the indentation shows as "cannot start any token" or as a
	// tab that "violates indentation": say what it is and where.
	tabby := strings.Contains(msg, "tab character") || strings.HasPrefix(msg, "found character that cannot start any token")
	if line, col := firstTab(p.src); tabby && line > 0 && line <= pos.Line+1 {
		p.errs.Add(Pos{File: p.file, Line: line, Col: col}, "invalid YAML: a tab character indents this line; YAML indents with spaces only")
		return
	}
	pos.Col = yamlColumn(lineText(p.src, pos.Line), msg)
	p.errs.Add(pos, "invalid YAML: %s", msg)
}

// isParserError tells the YAML library's parser errors, whose line it
// counts from 0, from its scanner errors, counted from 1.
func isParserError(msg string) bool {
	for _, prefix := range []string{"did not find expected", "found undefined tag", "found duplicate %", "found incompatible YAML"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}
