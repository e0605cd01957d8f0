package cluster

import (
	"fmt"
	"strings"
	"testing"
)

// TestDropLog: drops of peers' messages are logged the first ten times,
// then every thousandth time with a count (README's limits of distributed
// runs), so that a peer sending nonsense cannot flood the log.
func TestDropLog(t *testing.T) {
	var d dropLog
	var lines []string
	logf := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	for i := range 3000 {
		d.logf(logf, "drop %d", i+1)
	}
	want := []string{"drop 1", "drop 2", "drop 3", "drop 4", "drop 5", "drop 6", "drop 7", "drop 8", "drop 9", "drop 10",
		"drop 1000 (1000 messages dropped so far)",
		"drop 2000 (2000 messages dropped so far)",
		"drop 3000 (3000 messages dropped so far)"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("logged:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	// A nil log discards, and still counts.
	d.logf(nil, "x")
	if n := d.n.Load(); n != 3001 {
		t.Errorf("%d drops counted, want 3001", n)
	}
}

// TestPeerText: a peer's text is printed escaped and cut at maxPeerText
// bytes (README: "at most 1 KiB").
func TestPeerText(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		// Plain text stays.
		{"plain", "connection refused", "connection refused"},
		// A terminal title sequence is escaped.
		{"escape", "no\x1b]0;x\x07", `no\x1b]0;x\x07`},
		// Long text is cut, never in the middle of a character.
		{"long", "a" + strings.Repeat("é", maxPeerText), "a" + strings.Repeat("é", maxPeerText/2-1) + "…"},
	} {
		if got := peerText(c.in); got != c.want {
			t.Errorf("%s: peerText(%.40q) = %.40q…, want %.40q…", c.name, c.in, got, c.want)
		}
	}
}
