package stats

import "strings"

// NormalizeError turns a failure text into the text of its kind, so that
// failures group as Locust's failures table is read: 10,000 timeouts are one
// row, not one per client port. It replaces what varies from one failure of
// a kind to the next:
//
//   - IP addresses, with their port if any (127.0.0.1:42452, [::1]:8080),
//     become <addr>;
//   - runs of \xNN byte escapes become <bytes>, and a quoted text longer
//     than 64 bytes or holding escaped control bytes (a dump of a response)
//     becomes "…";
//   - numbers of four or more digits, the decimal point not counted (ids,
//     ports, sizes, 623.41ms), become N;
//   - hexadecimal ids of eight or more characters mixing digits and
//     letters (hashes, UUID parts) become <id>.
//
// HTTP status codes, short numbers and words are kept. A text with nothing
// to replace is returned as is, without allocating. The engine words its
// messages by kind already; this is the safety net for texts from libraries
// and targets.
func NormalizeError(s string) string {
	if !needsNormalizing(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	// Boundaries are judged on what was written, not on the input, so that
	// normalising a normalised text changes nothing.
	last := func() byte {
		if b.Len() == 0 {
			return ' '
		}
		return b.String()[b.Len()-1]
	}
	for i := 0; i < len(s); {
		prev := last()
		if n := addrLen(s[i:]); n > 0 && (!isWord(prev) && prev != '.' || s[i] == '[') {
			b.WriteString("<addr>")
			i += n
			continue
		}
		if n := byteEscapesLen(s[i:]); n > 0 {
			b.WriteString("<bytes>")
			i += n
			continue
		}
		if s[i] == '"' {
			// A quoted text is judged whole, so that quotes pair the same
			// way when the result is normalised again.
			if n, dump := quotedLen(s[i:]); dump {
				b.WriteString(`"…"`)
				i += n
				continue
			} else if n > 0 {
				b.WriteString(`"`)
				b.WriteString(NormalizeError(s[i+1 : i+n-1]))
				b.WriteString(`"`)
				i += n
				continue
			}
		}
		if !isWord(prev) {
			if n := hexIDLen(s[i:]); n > 0 {
				b.WriteString("<id>")
				i += n
				continue
			}
		}
		if isDigit(s[i]) && !isDigit(prev) && prev != '.' {
			n, varying := numberLen(s[i:])
			if varying {
				b.WriteString("N")
			} else {
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// needsNormalizing is a quick scan for anything NormalizeError replaces.
func needsNormalizing(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isHex(c) && (i == 0 || !isWord(s[i-1])) && hexIDLen(s[i:]) > 0 {
			return true
		}
		switch {
		case isDigit(c):
			digits++
			if digits >= 4 {
				return true
			}
			continue
		case c == '.' && digits > 0, c == ':' && digits > 0, c == '[':
			return true
		case c == '\\' && i+1 < len(s) && s[i+1] == 'x':
			return true
		case c == '"':
			if _, dump := quotedLen(s[i:]); dump {
				return true
			}
		}
		digits = 0
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isWord(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// digitsLen is the length of the run of decimal digits at the start of s.
func digitsLen(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// addrLen is the length of an IPv4 address (four dotted numbers) or a
// bracketed IPv6 address at the start of s, with a :port after it; 0 when
// there is none.
func addrLen(s string) int {
	n := 0
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 3 || strings.Count(s[:end], ":") < 2 {
			return 0
		}
		addr, zone, _ := strings.Cut(s[1:end], "%")
		for _, c := range []byte(addr) {
			if !isHex(c) && c != ':' && c != '.' {
				return 0
			}
		}
		for _, c := range []byte(zone) {
			if !isWord(c) && c != '-' && c != '.' {
				return 0
			}
		}
		n = end + 1
	} else {
		for part := range 4 {
			d := digitsLen(s[n:])
			if d == 0 || d > 3 {
				return 0
			}
			n += d
			if part < 3 {
				if n >= len(s) || s[n] != '.' {
					return 0
				}
				n++
			}
		}
		// Not part of a longer dotted name or number (a full stop after it
		// is fine).
		if n < len(s) && (isWord(s[n]) || s[n] == '.' && n+1 < len(s) && s[n+1] != ' ') {
			return 0
		}
	}
	if n+1 < len(s) && s[n] == ':' && isDigit(s[n+1]) {
		n += 1 + digitsLen(s[n+1:])
	}
	return n
}

// byteEscapesLen is the length of a run of \xNN escapes at the start of s.
func byteEscapesLen(s string) int {
	n := 0
	for n+3 < len(s) && s[n] == '\\' && s[n+1] == 'x' && isHex(s[n+2]) && isHex(s[n+3]) {
		n += 4
	}
	return n
}

// quotedLen is the length of the double-quoted text at the start of s (0
// when it is not closed) and whether it is a dump rather than a word:
// longer than 64 bytes, or holding escaped control bytes (\r, \n, \x..).
func quotedLen(s string) (n int, dump bool) {
	escaped := false
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) && strings.IndexByte(`rnx0t`, s[i+1]) >= 0 {
				escaped = true
			}
			i++
		case '"':
			return i + 1, i-1 > 64 || escaped
		}
	}
	return 0, false
}

// hexIDLen is the length of a hexadecimal token of eight or more
// characters with both digits and letters at the start of s (a hash, a
// UUID part); 0 otherwise.
func hexIDLen(s string) int {
	n, digits, letters := 0, 0, 0
	for n < len(s) && isHex(s[n]) {
		if isDigit(s[n]) {
			digits++
		} else {
			letters++
		}
		n++
	}
	if n < 8 || digits == 0 || letters == 0 || n < len(s) && isWord(s[n]) {
		return 0
	}
	return n
}

// numberLen is the length of the number at the start of s (digits, with a
// fraction if any) and whether it is a varying value: four digits or more,
// the decimal point not counted. Shorter numbers (a status code, a limit
// such as 12.5, a version such as 1.1) are few and say what went wrong.
func numberLen(s string) (n int, varying bool) {
	n = digitsLen(s)
	digits := n
	if n+1 < len(s) && s[n] == '.' && isDigit(s[n+1]) {
		frac := digitsLen(s[n+1:])
		n += 1 + frac
		digits += frac
	}
	return n, digits >= 4
}
