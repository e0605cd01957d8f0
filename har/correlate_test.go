package har_test

import (
	"strings"
	"testing"

	"github.com/loadrun/loadrun/har"
)

const (
	jsonType = "application/json"
	htmlType = "text/html; charset=utf-8"
	formType = "application/x-www-form-urlencoded"
)

// correlated is one expected correlation: the variable, where its value
// was found (a part of the summary's text), the step whose response holds
// it and the value its extractor must find there.
type correlated struct {
	v, found string
	step     int
	value    string
}

// TestCorrelationFinder imports small recordings with values handed out in
// JSON bodies, HTML and headers, and checks what became a variable, where
// its extractor is, that the extractor finds the recorded value in the
// recorded response, and how the request sends it.
func TestCorrelationFinder(t *testing.T) {
	tests := []struct {
		name    string
		exs     []ex
		want    []correlated
		yaml    []string // must appear in the scenario
		notYAML []string // must not
		vars    []string // typed values made vars
	}{
		{
			// A JSON login answer's token sent back as a Bearer token.
			name: "json token to bearer header",
			exs: []ex{
				{method: "POST", url: "http://shop.test/api/login", reqMime: jsonType, reqBody: `{"user":"ann","secret":"pw1"}`,
					respMime: jsonType, respBody: `{"data":{"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.sig","expires":3600}}`},
				{url: "http://shop.test/api/me", reqHeaders: []string{"Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"}, respMime: jsonType, respBody: `{}`},
			},
			want: []correlated{{"access_token", "POST /api/login (step 1): JSON $.data.access_token", 0, "eyJhbGciOiJIUzI1NiJ9.e30.sig"}},
			yaml: []string{"Authorization: 'Bearer ${access_token}'", `json: {"user": "${user}", "secret": "${secret}"}`},
			vars: []string{"user", "secret"},
		},
		{
			// A hidden form field sent back in the posted form.
			name: "html hidden input to form field",
			exs: []ex{
				{url: "http://shop.test/comment", respMime: htmlType,
					respBody: `<form method="post"><input type="hidden" name="_token" value="Xy12abCD34ef"><input name="comment"></form>`},
				{method: "POST", url: "http://shop.test/comment", reqMime: formType, reqBody: "_token=Xy12abCD34ef&comment=hello+world",
					respMime: htmlType, respBody: "<p>thanks</p>"},
			},
			want: []correlated{{"token", `GET /comment (step 1): HTML <input name="_token"> value`, 0, "Xy12abCD34ef"}},
			yaml: []string{"_token: '${token}'", "comment: '${comment}'", "comment: 'hello world'"},
			vars: []string{"comment"},
		},
		{
			// Upper-case markup: the pattern keeps the page's case.
			name: "html in upper case",
			exs: []ex{
				{url: "http://shop.test/old", respMime: htmlType, respBody: `<FORM><INPUT TYPE="hidden" NAME="Ticket" VALUE="TKT-99887766"></FORM>`},
				{method: "POST", url: "http://shop.test/old", reqMime: formType, reqBody: "Ticket=TKT-99887766", respMime: htmlType, respBody: "<P>ok</P>"},
			},
			want: []correlated{{"ticket", `GET /old (step 1): HTML <INPUT NAME="Ticket"> VALUE`, 0, "TKT-99887766"}},
			yaml: []string{"Ticket: '${ticket}'"},
		},
		{
			// A meta tag's token sent in a header; the naming attribute
			// comes after the value.
			name: "html meta tag to header",
			exs: []ex{
				{url: "http://shop.test/", respMime: htmlType,
					respBody: `<html><head><meta content='k9Jd8s7H2mQ1' name='csrf-token'></head></html>`},
				{method: "POST", url: "http://shop.test/api/like", reqHeaders: []string{"X-CSRF-Token", "k9Jd8s7H2mQ1"}, respMime: jsonType, respBody: `{}`},
			},
			want: []correlated{{"csrf_token", `GET / (step 1): HTML <meta name="csrf-token"> content`, 0, "k9Jd8s7H2mQ1"}},
			yaml: []string{"X-CSRF-Token: '${csrf_token}'"},
		},
		{
			// An attribute of unnamed elements: the second one, by index.
			name: "html attribute by match index to query",
			exs: []ex{
				{url: "http://shop.test/list", respMime: htmlType,
					respBody: `<div data-session="aaaa1111bbbb"></div><div data-session="s3ss10nABC123"></div>`},
				{url: "http://shop.test/next?sid=s3ss10nABC123&page=2", respMime: htmlType, respBody: "<p></p>"},
			},
			want: []correlated{{"data_session", "GET /list (step 1): HTML <div> data-session", 0, "s3ss10nABC123"}},
			yaml: []string{"sid: '${data_session}'", "match: 1", "page: '2'"},
		},
		{
			// A response header sent back as a request header.
			name: "response header to request header",
			exs: []ex{
				{method: "POST", url: "http://shop.test/session", respHeaders: []string{"X-Auth-Token", "tok_8f7e6d5c4b"}, respMime: jsonType, respBody: `{}`},
				{url: "http://shop.test/api/cart", reqHeaders: []string{"X-Auth-Token", "tok_8f7e6d5c4b"}, respMime: jsonType, respBody: `{}`},
			},
			want: []correlated{{"x_auth_token", "POST /session (step 1): header X-Auth-Token", 0, "tok_8f7e6d5c4b"}},
			yaml: []string{"X-Auth-Token: '${x_auth_token}'", "{var: x_auth_token, header: X-Auth-Token}"},
		},
		{
			// A cookie's value sent back in a header (double-submit CSRF).
			name: "cookie to header",
			exs: []ex{
				{url: "http://shop.test/app", respHeaders: []string{"Set-Cookie", "XSRF-TOKEN=x5rfT0ken99; Path=/", "Set-Cookie", "sid=s1d9988776655; HttpOnly"}, respMime: htmlType, respBody: "<p></p>"},
				{method: "POST", url: "http://shop.test/api/save", reqHeaders: []string{"Cookie", "XSRF-TOKEN=x5rfT0ken99; sid=s1d9988776655", "X-XSRF-TOKEN", "x5rfT0ken99"}, respMime: jsonType, respBody: `{}`},
			},
			want: []correlated{{"xsrf_token", "GET /app (step 1): cookie XSRF-TOKEN", 0, "x5rfT0ken99"}},
			yaml: []string{"X-XSRF-TOKEN: '${xsrf_token}'", "{var: xsrf_token, cookie: XSRF-TOKEN}"},
		},
		{
			// A Location header is the next URL, whole.
			name: "location header to url",
			exs: []ex{
				{method: "POST", url: "http://shop.test/api/docs", status: 201,
					respHeaders: []string{"Location", "/api/docs/5f0c8a2e-9b1d-4c3e-8f7a-6b5d4c3e2f1a"}, respMime: "text/plain", respBody: "created"},
				{url: "http://shop.test/api/docs/5f0c8a2e-9b1d-4c3e-8f7a-6b5d4c3e2f1a", respMime: jsonType, respBody: `{}`},
			},
			want: []correlated{{"location", "POST /api/docs (step 1): header Location", 0, "/api/docs/5f0c8a2e-9b1d-4c3e-8f7a-6b5d4c3e2f1a"}},
			yaml: []string{"url: '${location}'", "name: '/api/docs/[id]'"},
		},
		{
			// A small id in the next URL, tied by the collection it was
			// created in: /api/orders → {"id": 42} → /api/orders/42.
			name: "created id to path",
			exs: []ex{
				{url: "http://shop.test/api/items", respMime: jsonType, respBody: `{"items":[{"id":42,"name":"mug"}]}`},
				{method: "POST", url: "http://shop.test/api/orders", reqMime: jsonType, reqBody: `{"qty":1}`, status: 201, respMime: jsonType, respBody: `{"id":42,"qty":1}`},
				{url: "http://shop.test/api/orders/42", respMime: jsonType, respBody: `{"id":42}`},
			},
			want:    []correlated{{"order_id", "POST /api/orders (step 2): JSON $.id", 1, "42"}},
			yaml:    []string{"url: '/api/orders/${order_id}'", "name: '/api/orders/[id]'", `json: {"qty": 1}`},
			notYAML: []string{"item_id"},
		},
		{
			// The same id sent as a field named after its collection.
			name: "created id to a named field",
			exs: []ex{
				{method: "POST", url: "http://shop.test/api/orders", status: 201, respMime: jsonType, respBody: `{"id":42}`},
				{method: "POST", url: "http://shop.test/api/payments", reqMime: jsonType, reqBody: `{"order_id":42,"amount":42}`, respMime: jsonType, respBody: `{}`},
			},
			want: []correlated{{"order_id", "POST /api/orders (step 1): JSON $.id", 0, "42"}},
			yaml: []string{`json: {"order_id": "${int(order_id)}", "amount": 42}`},
		},
		{
			// Short and common values are not correlated by chance; the
			// same JSON member name ties one.
			name: "short values only when tied by name",
			exs: []ex{
				{url: "http://shop.test/api/prefs", respMime: jsonType, respBody: `{"id":1,"enabled":"true","lang":"en","page":3}`},
				{url: "http://shop.test/api/news?page=1&lang=en&enabled=yes&flag=true", respMime: jsonType, respBody: `{}`},
				{url: "http://shop.test/items/1", respMime: htmlType, respBody: `<p>1</p>`},
			},
			want:    []correlated{{"lang", "GET /api/prefs (step 1): JSON $.lang", 0, "en"}},
			yaml:    []string{"lang: '${lang}'", "page: '1'", "flag: 'true'", "url: /items/1", "name: '/items/[id]'"},
			notYAML: []string{"${id}", "${page}", "${enabled}"},
		},
		{
			// A value the user typed first is a var, even when a later
			// response echoes it and a later request sends it again.
			name: "typed value stays a var",
			exs: []ex{
				{method: "POST", url: "http://shop.test/search", reqMime: formType, reqBody: "q=blue-widget-2000", respMime: jsonType, respBody: `{"query":"blue-widget-2000"}`},
				{url: "http://shop.test/results?q=blue-widget-2000", respMime: htmlType, respBody: "<p></p>"},
			},
			yaml:    []string{"q: blue-widget-2000", "q: '${q}'"},
			notYAML: []string{"extract:"},
			vars:    []string{"q"},
		},
		{
			// A base64-encoded body is decoded and searched; the earliest
			// response holding a value gets the extractor.
			name: "base64 body, earliest response",
			exs: []ex{
				{url: "http://shop.test/api/a", respMime: jsonType, respBody: `{"token":"b64TokenValue123"}`, base64: true},
				{url: "http://shop.test/api/b", respMime: jsonType, respBody: `{"again":"b64TokenValue123"}`},
				{url: "http://shop.test/api/c", reqHeaders: []string{"X-Token", "b64TokenValue123"}, respMime: jsonType, respBody: `{}`},
			},
			want:    []correlated{{"token", "GET /api/a (step 1): JSON $.token", 0, "b64TokenValue123"}},
			yaml:    []string{"X-Token: '${token}'"},
			notYAML: []string{"$.again"},
		},
		{
			// Repeated keys cannot be a YAML mapping: the query stays in
			// the URL and the form is a raw body, both still correlated.
			name: "repeated keys",
			exs: []ex{
				{url: "http://shop.test/api/a", respMime: jsonType, respBody: `{"token":"zzTok12345"}`},
				{url: "http://shop.test/search?tag=a+b&tag=c&t=zzTok12345", respMime: jsonType, respBody: `{}`},
				{method: "POST", url: "http://shop.test/tags", reqMime: formType, reqBody: "tag=a&tag=b&t=zzTok12345", respMime: jsonType, respBody: `{}`},
			},
			want: []correlated{{"token", "GET /api/a (step 1): JSON $.token", 0, "zzTok12345"}},
			yaml: []string{"url: '/search?tag=a+b&tag=c&t=${token}'", "name: /search", "body: 'tag=a&tag=b&t=${token}'",
				"Content-Type: application/x-www-form-urlencoded"},
		},
		{
			// Recorded text that looks like a template stays literal.
			name: "recorded ${ is escaped",
			exs: []ex{
				{method: "POST", url: "http://shop.test/note", reqMime: formType, reqBody: "text=a%24%7Bb%7D", respMime: htmlType, respBody: "<p></p>"},
			},
			yaml: []string{"text: 'a$${b}'"},
			vars: []string{"text"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im := importHAR(t, har.Options{}, tt.exs...)
			for _, w := range tt.want {
				c := im.correlation(t, w.v)
				if !strings.Contains(c.Found, w.found) {
					t.Errorf("%s found in %q, want %q", w.v, c.Found, w.found)
				}
				got := im.extracted(t, w.step, &im.log.Entries[w.step].Response)
				if got[w.v] != w.value {
					t.Errorf("extractor %s on the recorded response gives %q, want %q\n%s", w.v, got[w.v], w.value, im.yaml)
				}
			}
			if len(im.res.Summary.Correlations) != len(tt.want) {
				t.Errorf("%d correlations, want %d:\n%s", len(im.res.Summary.Correlations), len(tt.want), im.summary(t))
			}
			for _, s := range tt.yaml {
				if !strings.Contains(im.yaml, s) {
					t.Errorf("scenario lacks %q:\n%s", s, im.yaml)
				}
			}
			for _, s := range tt.notYAML {
				if strings.Contains(im.yaml, s) {
					t.Errorf("scenario has %q:\n%s", s, im.yaml)
				}
			}
			if got, want := strings.Join(im.res.Summary.Vars, ","), strings.Join(tt.vars, ","); got != want {
				t.Errorf("vars %q, want %q", got, want)
			}
			// Each correlation is named in a comment and in the summary.
			for _, c := range im.res.Summary.Correlations {
				if !strings.Contains(im.yaml, "# "+c.Var+": handed out here") {
					t.Errorf("no comment at the extractor of %s:\n%s", c.Var, im.yaml)
				}
				if !strings.Contains(im.summary(t), c.Var+"  found in "+c.Found) {
					t.Errorf("summary does not list %s:\n%s", c.Var, im.summary(t))
				}
			}
		})
	}
}

// TestReplayOption keeps every recorded value: no extractor, no variable.
func TestReplayOption(t *testing.T) {
	im := importHAR(t, har.Options{Replay: true},
		ex{method: "POST", url: "http://shop.test/api/login", reqMime: jsonType, reqBody: `{"user":"ann"}`, respMime: jsonType, respBody: `{"token":"abcdef123456"}`},
		ex{url: "http://shop.test/api/me", reqHeaders: []string{"X-Token", "abcdef123456"}, respMime: jsonType, respBody: `{}`})
	for _, s := range []string{"extract:", "${", "vars:"} {
		if strings.Contains(im.yaml, s) {
			t.Errorf("replay scenario has %q:\n%s", s, im.yaml)
		}
	}
}
