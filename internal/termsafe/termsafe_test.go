package termsafe

import "testing"

func TestEscape(t *testing.T) {
	tests := []struct {
		in         string
		text, line string
	}{
		// Plain text and UTF-8 are untouched.
		{"Total: 3 €", "Total: 3 €", "Total: 3 €"},
		// An OSC sequence that sets the terminal title (the case).
		{"\x1b]0;pwned\x07ok", `\x1b]0;pwned\x07ok`, `\x1b]0;pwned\x07ok`},
		// A CSI sequence that clears the screen.
		{"\x1b[2J", `\x1b[2J`, `\x1b[2J`},
		// Newlines and tabs stay in Text, are escaped in Line.
		{"a\n\tb", "a\n\tb", `a\n\tb`},
		// A carriage return could overwrite what was printed.
		{"safe\rEVIL", `safe\rEVIL`, `safe\rEVIL`},
		// C1 controls: the UTF-8 CSI U+009B and a raw 0x9b byte.
		{"x\u009b2Jy", `x\u009b2Jy`, `x\u009b2Jy`},
		{"x\x9b2J", `x\x9b2J`, `x\x9b2J`},
		// DEL and NUL.
		{"\x7f\x00", `\x7f\x00`, `\x7f\x00`},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.text {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.text)
		}
		if got := Line(tt.in); got != tt.line {
			t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
		}
	}
}
