package har_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/har"
	"github.com/loadrun/loadrun/scenario"
)

// FuzzImport reads and converts arbitrary input: no input panics, and a
// scenario the import writes always loads and compiles.
//
//	go test ./har -run '^$' -fuzz FuzzImport -fuzztime 1m
func FuzzImport(f *testing.F) {
	if b, err := os.ReadFile("../examples/recorded-shop.har"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, `{"log":{}}`, `{"log":{"entries":[]}}`, `[`, `{"log":{"entries":[{}]}}`,
		`{"log":{"entries":[{"request":{"method":"GET","url":"http://a/x/1?q=${x}"},"response":{"status":200,"content":{"mimeType":"application/json","text":"{\"id\":1,\"t\":\"abc123def\"}"}}},` +
			`{"request":{"method":"POST","url":"http://a/x/1","headers":[{"name":"Authorization","value":"Bearer abc123def"}],"postData":{"mimeType":"application/json","text":"{\"t\":\"abc123def\",\"n\":[1,{\"id\":1}]}"}},"response":{"status":201,"content":{"mimeType":"text/html","text":"<input name='a' value='abc123def'>"}}}]}}`,
		`{"log":{"entries":[{"request":{"method":"POST","url":"http://a/f","postData":{"mimeType":"application/x-www-form-urlencoded","text":"a=1&a=2&b=%ZZ"}},"response":{"status":302,"headers":[{"name":"Location","value":"/g"}]}},{"request":{"method":"GET","url":"http://a/g"},"response":{"status":200}}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := har.Limits{MaxFileBytes: 1 << 20, MaxEntries: 200, MaxBodyBytes: 64 << 10}
		log, err := har.Read("fuzz.har", bytes.NewReader(data), lim)
		if err != nil {
			return
		}
		for _, opts := range []har.Options{{Limits: lim}, {Limits: lim, KeepStatic: true, Replay: true}} {
			res, err := har.Convert(log, opts)
			if err != nil {
				continue
			}
			sc, err := scenario.Parse("fuzz.yaml", res.YAML)
			if err != nil {
				t.Fatalf("imported scenario does not parse: %v\n%s", err, res.YAML)
			}
			if _, err := engine.Compile(sc, engine.CompileOptions{}); err != nil {
				t.Fatalf("imported scenario does not compile: %v\n%s", err, res.YAML)
			}
		}
	})
}
