package template

import (
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// benchRender renders text for one user over and over into a reused buffer,
// as the engine does per request.
func benchRender(b *testing.B, text string) {
	tpl, err := Compile(scenario.Template{Text: text})
	if err != nil {
		b.Fatal(err)
	}
	v := Vars{
		"token":    "eyJhbGciOiJIUzI1NiJ9",
		"id":       12345,
		"accounts": map[string]string{"username": "alice", "password": "s3cret"},
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = tpl.Render(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStatic(b *testing.B)   { benchRender(b, "/api/v1/products?page=1") }
func BenchmarkVariable(b *testing.B) { benchRender(b, "${token}") }
func BenchmarkPoolField(b *testing.B) {
	benchRender(b, "${accounts.username}")
}
func BenchmarkExpression(b *testing.B) {
	benchRender(b, `${"id-" + string(id + 1)}`)
}
func BenchmarkFiveParts(b *testing.B) {
	benchRender(b, "/users/${accounts.username}/orders/${id}?token=${token}&p=${accounts.password}&n=${id * 2}")
}
func BenchmarkUUID(b *testing.B) { benchRender(b, "${uuid()}") }

// BenchmarkValueStatic is a JSON body's constant string, read through Value.
func BenchmarkValueStatic(b *testing.B) {
	tpl, err := Compile(scenario.Template{Text: "constant"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Value(nil); err != nil {
			b.Fatal(err)
		}
	}
}
