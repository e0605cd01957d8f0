// Package termsafe makes text from a target safe to print on a terminal.
// A response body, header or extracted value may hold escape sequences
// (ESC ] 0 ; title BEL sets a terminal's title, others move the cursor,
// rewrite the screen or, on some terminals, answer back as if typed).
// Control characters are written as visible escapes instead.
package termsafe

import (
	"strings"
	"unicode/utf8"
)

// Text escapes every control character except newline and tab, so that a
// multi-line body keeps its lines.
func Text(s string) string { return escape(s, true) }

// Line escapes every control character, newlines and tabs included, so that
// the text stays on one line (a log line, a value in a table).
func Line(s string) string { return escape(s, false) }

func escape(s string, keepLines bool) string {
	if clean(s, keepLines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			// Not UTF-8: a byte such as 0x9b is a C1 control (CSI) to
			// terminals that read 8-bit controls.
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		case keepLines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		case r >= 0x80 && r <= 0x9f:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

const hex = "0123456789abcdef"

// clean reports whether s needs no escaping (the common case, no copy).
func clean(s string, keepLines bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			if keepLines && (c == '\n' || c == '\t') {
				continue
			}
			return false
		}
		if c >= 0x80 {
			// C1 controls are U+0080..U+009F (0xC2 0x80..0x9F in UTF-8),
			// and invalid UTF-8 may be read as 8-bit controls.
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r >= 0x80 && r <= 0x9f {
				return false
			}
			i += size - 1
		}
	}
	return true
}
