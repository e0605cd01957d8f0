package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"wait", "weight", "tasks", "on_start", "randInt", "fail_ratio"}
	for _, tc := range []struct{ in, want string }{
		{"wiat", "wait"},              // swapped neighbours: one edit
		{"wieght", "weight"},          // swap
		{"task", "tasks"},             // one deletion
		{"onstart", "on_start"},       // one insertion
		{"randint", "randInt"},        // case is ignored, the known spelling returned
		{"fail_ration", "fail_ratio"}, // one extra letter
		{"x", ""},                     // too short to resemble anything
		{"completely", ""},            // nothing within two edits
	} {
		if got := Closest(tc.in, known); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "abc", 0},
		{"abc", "acb", 1}, // a swap costs one
		{"kitten", "sitting", 3},
		{"é", "e", 1}, // runes, not bytes
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
