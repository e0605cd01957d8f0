package template

import (
	"bytes"
	"testing"
)

// TestRenderEscaped: the escape function sees each inserted value, after
// the text before it, and never the literal text or a raw() value.
func TestRenderEscaped(t *testing.T) {
	upper := func(dst []byte, start int) []byte {
		copy(dst[start:], bytes.ToUpper(dst[start:]))
		return dst
	}
	cases := []struct {
		text, want string
	}{
		{"/static/text", "/static/text"},         // no ${}: as written
		{"/a/${x}/b?q=${y}", "/a/ONE/b?q=TWO"},   // each value escaped
		{"/a/${raw(x)}/${x}", "/a/one/ONE"},      // raw() is kept
		{"${x}${raw(y)}${x}", "ONEtwoONE"},       // adjacent values
		{"/lit$${x}/${row.col}", "/lit${x}/COL"}, // escapes and pool columns
	}
	vars := Vars{"x": "one", "y": "two", "row": map[string]string{"col": "col"}}
	for _, c := range cases {
		got, err := MustCompile(c.text).RenderEscaped(nil, vars, upper)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %q %v, want %q", c.text, got, err, c.want)
		}
	}
}
