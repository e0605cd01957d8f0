package engine

import "testing"

// TestEscapeInserted: how a URL takes an inserted value, by where it goes.
func TestEscapeInserted(t *testing.T) {
	cases := []struct {
		before, value, want string
	}{
		{"/search?q=", "tea pot & mugs", "tea%20pot%20%26%20mugs"},              // the case
		{"/s?a=1&b=", "x=1#frag+é", "x%3D1%23frag%2B%C3%A9"},                    // query delimiters and non-ASCII
		{"/s?", "na me", "na%20me"},                                             // a query name
		{"/s#", "a b", "a%20b"},                                                 // a fragment
		{"/items/", "a/b c", "a%2Fb%20c"},                                       // one path segment
		{"/items/", "a+b@c:d;e=f&g", "a+b@c:d;e=f&g"},                           // sub-delims stay in a path
		{"/items/", "50%?#", "50%25%3F%23"},                                     // % ? # in a path
		{"/", "safe-._~AZaz09", "safe-._~AZaz09"},                               // unreserved: never encoded
		{"", "https://x.test/a b?q=1&r=é", "https://x.test/a%20b?q=1&r=%C3%A9"}, // a whole URL
		{"", "/next?page=2", "/next?page=2"},                                    // an extracted link
		{"", "", ""},                                                            // nothing inserted
	}
	for _, c := range cases {
		dst := append([]byte(c.before), c.value...)
		got := string(escapeInserted(dst, len(c.before)))
		if got != c.before+c.want {
			t.Errorf("%q after %q: %q, want %q", c.value, c.before, got, c.before+c.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		buf := make([]byte, 0, 64)
		buf = append(buf, "/s?q=plain"...)
		escapeInserted(buf, 5)
	}); n > 1 {
		t.Errorf("%v allocations escaping a value that needs none", n)
	}
}
