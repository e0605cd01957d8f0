// Package extractors pulls values out of HTTP responses for correlation
// (saving a CSRF token, an id or a cookie into a user variable) and gives the
// checks package the same lazily parsed view of a response.
//
// Everything a scenario writes (patterns, paths, boundaries) is compiled once
// by Compile; per request the engine resets one Source per virtual user and
// runs every extractor and check of the step against it, so an HTML or XML
// body is parsed at most once however many xpath expressions read it.
package extractors

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/antchfx/htmlquery"
	"github.com/antchfx/xmlquery"
	"github.com/antchfx/xpath"
	"golang.org/x/net/html"
)

// Response is what the engine's HTTP executor exposes of one response. The
// engine implements it over fasthttp; tests implement it over net/http.
type Response interface {
	StatusCode() int
	// HeaderValues returns every value of a header; name is case-insensitive.
	HeaderValues(name string) []string
	// Cookie returns a cookie set by this response (Set-Cookie).
	Cookie(name string) (string, bool)
	// Body is the body as kept: decompressed, up to the engine's cap.
	Body() []byte
	// Elapsed is the response time.
	Elapsed() time.Duration
}

// Source is one response being examined. It caches what is costly to derive
// from the body (the HTML or XML tree, the body as a string) so that several
// extractors and checks on one response pay for it once. A Source is not safe
// for concurrent use: each virtual user keeps its own and Resets it per request.
type Source struct {
	resp Response

	parsed   bool
	htmlDoc  *html.Node
	xmlDoc   *xmlquery.Node
	parseErr error
	reader   bytes.Reader

	body   string
	bodyOK bool

	// pick is scratch space for Extract, kept here so that choosing among
	// matches allocates nothing per request.
	pick picker
}

// NewSource returns an empty Source; call Reset before use.
func NewSource() *Source { return &Source{} }

// Reset points the Source at a new response and forgets what was cached
// about the previous one. Reset(nil) just lets go of the last response: a
// parsed HTML page is tens of kilobytes of nodes, worth releasing when a
// user will think for seconds before its next request.
func (s *Source) Reset(r Response) {
	s.resp = r
	s.parsed = false
	s.htmlDoc = nil
	s.xmlDoc = nil
	s.parseErr = nil
	s.body = ""
	s.bodyOK = false
	s.reader.Reset(nil)
}

// Response returns the response the Source was last Reset to.
func (s *Source) Response() Response { return s.resp }

// BodyString returns the body as a string, converted once per response. The
// copy is deliberate: the engine reuses body buffers, and a string must not
// change under whoever keeps it.
func (s *Source) BodyString() string {
	if !s.bodyOK {
		s.body = string(s.resp.Body())
		s.bodyOK = true
	}
	return s.body
}

// navigator returns an XPath navigator over the body parsed as XML or HTML,
// parsing it on first use.
func (s *Source) navigator() (xpath.NodeNavigator, error) {
	if !s.parsed {
		s.parse()
	}
	if s.parseErr != nil {
		return nil, s.parseErr
	}
	if s.xmlDoc != nil {
		return xmlquery.CreateXPathNavigator(s.xmlDoc), nil
	}
	return htmlquery.CreateXPathNavigator(s.htmlDoc), nil
}

func (s *Source) parse() {
	s.parsed = true
	body := s.resp.Body()
	s.reader.Reset(body)
	if isXML(s.contentType(), body) {
		doc, err := xmlquery.Parse(&s.reader)
		if err != nil {
			s.parseErr = fmt.Errorf("the body is not well-formed XML: %v", err)
			return
		}
		s.xmlDoc = doc
		return
	}
	// The HTML parser repairs anything, as browsers do; an error here can
	// only come from the reader, which reads memory.
	doc, err := html.Parse(&s.reader)
	if err != nil {
		s.parseErr = fmt.Errorf("parsing the body as HTML: %v", err)
		return
	}
	s.htmlDoc = doc
}

func (s *Source) contentType() string {
	if v := s.resp.HeaderValues("Content-Type"); len(v) > 0 {
		return v[0]
	}
	return ""
}

// isXML decides how to parse a body for XPath. A Content-Type naming HTML
// wins (XHTML pages often start with an XML declaration yet are best read
// leniently); then an XML media type or a leading `<?xml` declaration.
func isXML(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	if strings.Contains(ct, "html") {
		return false
	}
	if strings.Contains(ct, "xml") {
		return true
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	body = bytes.TrimLeft(body, " \t\r\n")
	return bytes.HasPrefix(body, []byte("<?xml"))
}
