package har_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/har"
)

// bigSession is a recording of n exchanges: pages with forms and links,
// JSON answers with a token each, requests sending the previous token.
func bigSession(t testing.TB, n int) []byte {
	exs := make([]ex, 0, n)
	links := strings.Repeat(`<li><a href="/product/7" data-id="7">Item</a></li>`, 60)
	items := strings.Repeat(`{"id":7,"sku":"SKU-007","name":"Item","price":2.5},`, 60)
	for i := 0; i < n; i++ {
		tok := fmt.Sprintf("tok%08dxyz", i)
		switch i % 3 {
		case 0:
			exs = append(exs, ex{url: fmt.Sprintf("http://big.test/page/%d", i), respMime: htmlType,
				respBody: `<form><input type="hidden" name="csrf" value="` + tok + `"></form><ul>` + links + `</ul>`})
		case 1:
			prev := fmt.Sprintf("tok%08dxyz", i-1)
			exs = append(exs, ex{method: "POST", url: "http://big.test/api/items", reqMime: formType, reqBody: "csrf=" + prev + "&q=tea",
				respMime: jsonType, respBody: `{"token":"` + tok + `","items":[` + items + `{"id":1}]}`})
		default:
			prev := fmt.Sprintf("tok%08dxyz", i-1)
			exs = append(exs, ex{url: fmt.Sprintf("http://big.test/api/items/%d?x=1", i), reqHeaders: []string{"Authorization", "Bearer " + prev},
				respMime: jsonType, respBody: `{"id":1}`, took: time.Millisecond})
		}
	}
	return harDoc(t, exs...)
}

// BenchmarkImport reads and converts a 3,000-entry recording (about 10 MB).
//
//	go test ./har -run '^$' -bench Import -benchmem
func BenchmarkImport(b *testing.B) {
	doc := bigSession(b, 3000)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		log, err := har.Read("big.har", bytes.NewReader(doc), har.DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		res, err := har.Convert(log, har.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Summary.Correlations) < 2000 {
			b.Fatalf("%d correlations", len(res.Summary.Correlations))
		}
	}
}
