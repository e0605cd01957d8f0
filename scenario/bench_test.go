package scenario

import (
	"os"
	"testing"
)

// BenchmarkParse measures parsing the Locust example, YAML and JSON.
func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"testdata/locust.yaml", "testdata/locust.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name[len("testdata/"):], func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse(name, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
