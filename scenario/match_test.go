package scenario

import "testing"

// TestExtractMatchIndex: a match index may count from the end (-1 is the
// last match), as the extractors package and the docs say.
func TestExtractMatchIndex(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0", "0"},   // the first
		{"2", "2"},   // the third
		{"-1", "-1"}, // the last
		{"last", "last"},
	} {
		src := `
host: http://127.0.0.1:1
users:
  - name: U
    tasks:
      - steps:
          - request: {url: /, extract: [{var: v, regex: 'a(b)', match: ` + tc.in + `}]}
`
		sc, err := Parse("m.yaml", []byte(src))
		if err != nil {
			t.Fatalf("match %s: %v", tc.in, err)
		}
		if got := sc.Users[0].Tasks[0].Steps[0].Request.Extract[0].Match; got != tc.want {
			t.Errorf("match %s: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
