// Package har turns a browser recording (a HAR 1.2 file, as saved by a
// browser's developer tools) into a loadrun scenario: it parses the file,
// drops what a browser does by itself (static assets, other hosts, cookies,
// browser headers), groups ids in request names, and correlates the values
// the server handed out with the later requests that send them back.
//
// The package only reads a HAR and writes scenario text; it never sends a
// request. The scenario it writes uses the plain scenario format.
package har

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits bound the memory and time an import may take.
type Limits struct {
	// MaxFileBytes is the largest HAR file read (default 256 MiB).
	MaxFileBytes int64
	// MaxEntries is the most entries read (default 20,000).
	MaxEntries int
	// MaxBodyBytes is how much of each response body is searched for
	// values, like the engine's body cap (default 1 MiB): a value past it
	// could not be extracted at replay either. Request bodies over it are
	// dropped with a note.
	MaxBodyBytes int
	// MaxValuesPerResponse is how many values one response may add to the
	// correlation index (default 20,000).
	MaxValuesPerResponse int
	// MaxIndexedValues bounds the whole correlation index (default 1,000,000).
	MaxIndexedValues int
}

// DefaultLimits are the limits the command uses.
var DefaultLimits = Limits{
	MaxFileBytes:         256 << 20,
	MaxEntries:           20_000,
	MaxBodyBytes:         1 << 20,
	MaxValuesPerResponse: 20_000,
	MaxIndexedValues:     1_000_000,
}

// Log is a parsed HAR: its entries in recorded order.
type Log struct {
	// Name is the file name, used in messages.
	Name    string
	Entries []*Entry
}

// Entry is one recorded exchange.
type Entry struct {
	// Index is the entry's position in log.entries (0-based), for messages.
	Index   int
	Started time.Time // zero when the recording has no usable time
	// Time is the exchange's duration as recorded.
	Time     time.Duration
	Request  Request
	Response Response
}

// Request is a recorded request.
type Request struct {
	Method  string
	URL     string
	Headers []Header
	// Body is the posted body (decoded), MimeType its type; HasBody tells
	// an empty body apart from none.
	Body     string
	MimeType string
	HasBody  bool
}

// Response is a recorded response.
type Response struct {
	Status   int
	Headers  []Header
	MimeType string
	// Body is the body text (base64 decoded), cut at Limits.MaxBodyBytes.
	Body string
	// BodyNote says why the body could not be read, when it could not.
	BodyNote string
}

// Header is one name/value pair as recorded.
type Header struct {
	Name, Value string
}

// Get returns the first value of the header name (case-insensitive).
func Get(hs []Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// The JSON shapes of HAR 1.2 (only the fields the import reads). Pointers
// tell a missing member apart from an empty one.
type (
	rawEntry struct {
		StartedDateTime string       `json:"startedDateTime"`
		Time            float64      `json:"time"`
		Request         *rawRequest  `json:"request"`
		Response        *rawResponse `json:"response"`
	}
	rawRequest struct {
		Method   string      `json:"method"`
		URL      string      `json:"url"`
		Headers  []rawHeader `json:"headers"`
		PostData *struct {
			MimeType string      `json:"mimeType"`
			Text     string      `json:"text"`
			Encoding string      `json:"encoding"`
			Params   []rawHeader `json:"params"`
		} `json:"postData"`
	}
	rawResponse struct {
		Status  int         `json:"status"`
		Headers []rawHeader `json:"headers"`
		Content struct {
			MimeType string `json:"mimeType"`
			Text     string `json:"text"`
			Encoding string `json:"encoding"`
		} `json:"content"`
	}
	rawHeader struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
)

// Error is a problem with a HAR file: where it is and what is wrong.
type Error struct {
	File      string
	Line, Col int    // 0 when unknown
	Where     string // e.g. "log.entries[3]"; may be empty
	Msg       string
}

// Error is "file:line:col: where: what is wrong", on one line with
// control characters escaped (the text comes from the file).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Where != "" {
		b.WriteString(e.Where + ": ")
	}
	b.WriteString(e.Msg)
	return safeLine(b.String())
}

// Read parses a HAR document from r; name labels messages. It reads at most
// lim.MaxFileBytes and returns an *Error for anything that is not a HAR it
// can import: bad JSON, no log.entries, an entry without a request or a
// response.
func Read(name string, r io.Reader, lim Limits) (*Log, error) {
	lim = lim.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxFileBytes+1))
	if err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, &Error{File: name, Msg: fmt.Sprintf("the file is larger than %d MiB, the most an import reads; save a shorter recording", lim.MaxFileBytes>>20)}
	}
	p := &parser{name: name, data: data, lim: lim, dec: json.NewDecoder(bytes.NewReader(data))}
	return p.parse()
}

type parser struct {
	name string
	data []byte
	lim  Limits
	dec  *json.Decoder
}

// errAt builds an error at a byte offset of the file.
func (p *parser) errAt(off int64, where, msg string) *Error {
	line, col := lineCol(p.data, off)
	return &Error{File: p.name, Line: line, Col: col, Where: where, Msg: msg}
}

// jsonErr turns a decoder error into an Error with a position; a type
// error is placed at at[0] when given (the start of the value being
// decoded), else at the decoder's offset.
func (p *parser) jsonErr(err error, where string, at ...int64) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	start := p.dec.InputOffset()
	if len(at) > 0 {
		start = at[0]
	}
	switch {
	case errors.As(err, &syn):
		// A decoder's offsets are not always the file's: the whole file,
		// parsed once more, says exactly where the error is.
		off := syn.Offset
		var v any
		if err := json.Unmarshal(p.data, &v); errors.As(err, &syn) {
			off = syn.Offset
		}
		return p.errAt(max(off-1, 0), "", "not valid JSON: "+syn.Error())
	case errors.As(err, &typ):
		field := where
		if typ.Field != "" {
			field += "." + typ.Field
		}
		return p.errAt(start, field, fmt.Sprintf("a JSON %s where a %s was meant", typ.Value, jsonKind(typ.Type.Kind().String())))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p.errAt(int64(len(p.data)), where, "the file ends too early (the JSON is cut short)")
	}
	return p.errAt(p.dec.InputOffset(), where, err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "list"
	case "struct", "map":
		return "object"
	case "float64", "int":
		return "number"
	case "ptr":
		return "object"
	}
	return k
}

// parse walks {"log": {"entries": [...]}} token by token so that each
// entry's position is known for messages.
func (p *parser) parse() (*Log, error) {
	if len(bytes.TrimSpace(p.data)) == 0 {
		return nil, &Error{File: p.name, Msg: "the file is empty; want a HAR document ({\"log\": {\"entries\": [...]}})"}
	}
	if err := p.expectDelim('{', "", "a HAR document is a JSON object ({\"log\": {...}})"); err != nil {
		return nil, err
	}
	var log *Log
	for p.dec.More() {
		key, err := p.key("")
		if err != nil {
			return nil, err
		}
		if key != "log" {
			if err := p.skip(key); err != nil {
				return nil, err
			}
			continue
		}
		if log, err = p.parseLog(); err != nil {
			return nil, err
		}
	}
	if log == nil {
		return nil, &Error{File: p.name, Msg: "no \"log\" object: this is not a HAR file (save one with the browser's DevTools, Network tab, \"Save all as HAR\")"}
	}
	return log, nil
}

func (p *parser) parseLog() (*Log, error) {
	start := p.valueStart(p.dec.InputOffset())
	if err := p.expectDelim('{', "log", "log is not an object"); err != nil {
		return nil, err
	}
	var log *Log
	for p.dec.More() {
		key, err := p.key("log")
		if err != nil {
			return nil, err
		}
		if key != "entries" {
			if err := p.skip("log." + key); err != nil {
				return nil, err
			}
			continue
		}
		if log, err = p.parseEntries(); err != nil {
			return nil, err
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing }
		return nil, p.jsonErr(err, "log")
	}
	if log == nil {
		return nil, p.errAt(start, "log", "no \"entries\" list: this HAR holds no requests")
	}
	return log, nil
}

func (p *parser) parseEntries() (*Log, error) {
	if err := p.expectDelim('[', "log.entries", "log.entries is not a list"); err != nil {
		return nil, err
	}
	log := &Log{Name: p.name, Entries: []*Entry{}}
	for i := 0; p.dec.More(); i++ {
		where := fmt.Sprintf("log.entries[%d]", i)
		if i >= p.lim.MaxEntries {
			return nil, p.errAt(p.dec.InputOffset(), where, fmt.Sprintf("more than %d entries, the most an import reads; save a shorter recording", p.lim.MaxEntries))
		}
		off := p.valueStart(p.dec.InputOffset())
		var raw rawEntry
		if err := p.dec.Decode(&raw); err != nil {
			return nil, p.jsonErr(err, where, off)
		}
		e, err := p.entry(i, &raw)
		if err != nil {
			return nil, p.errAt(off, where, err.Error())
		}
		log.Entries = append(log.Entries, e)
	}
	if _, err := p.dec.Token(); err != nil { // the closing ]
		return nil, p.jsonErr(err, "log.entries")
	}
	return log, nil
}

// entry checks one raw entry and decodes its bodies.
func (p *parser) entry(i int, raw *rawEntry) (*Entry, error) {
	if raw.Request == nil {
		return nil, errors.New("the entry has no request")
	}
	what := raw.Request.Method + " " + raw.Request.URL
	if raw.Request.Method == "" || raw.Request.URL == "" {
		return nil, errors.New("the request has no method or no url")
	}
	if !validHeaderName(raw.Request.Method) {
		return nil, fmt.Errorf("%q is not an HTTP method", raw.Request.Method)
	}
	if raw.Response == nil {
		return nil, fmt.Errorf("%s has no response (a HAR entry needs one; save the recording again after the page finished loading)", what)
	}
	e := &Entry{Index: i, Time: time.Duration(raw.Time * float64(time.Millisecond))}
	if t, err := time.Parse(time.RFC3339Nano, raw.StartedDateTime); err == nil {
		e.Started = t
	}
	if raw.Time < 0 || raw.Time > 1e9 {
		e.Time = 0
	}
	rq := raw.Request
	e.Request = Request{Method: strings.ToUpper(rq.Method), URL: rq.URL, Headers: headers(rq.Headers)}
	if pd := rq.PostData; pd != nil {
		e.Request.HasBody, e.Request.MimeType = true, pd.MimeType
		body := pd.Text
		if pd.Encoding == "base64" {
			b, err := base64.StdEncoding.DecodeString(pd.Text)
			if err != nil {
				return nil, fmt.Errorf("%s: the request body is marked base64 but is not: %v", what, err)
			}
			body = string(b)
		}
		if body == "" && len(pd.Params) > 0 {
			body = encodeParams(pd.Params)
		}
		e.Request.Body = body
	}
	rs := raw.Response
	e.Response = Response{Status: rs.Status, Headers: headers(rs.Headers), MimeType: rs.Content.MimeType}
	body := rs.Content.Text
	if rs.Content.Encoding == "base64" {
		// Decode only what is searched: a base64 prefix decodes on its own
		// when cut at a multiple of 4 characters.
		enc := body
		if n := (p.lim.MaxBodyBytes/3 + 1) * 4; len(enc) > n {
			enc = enc[:n]
		}
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			e.Response.BodyNote = "response body marked base64 is not base64; not searched"
			body = ""
		} else {
			body = string(b)
		}
	}
	if len(body) > p.lim.MaxBodyBytes {
		body = body[:p.lim.MaxBodyBytes]
	}
	if !utf8.ValidString(body) && isTextType(e.Response.MimeType) {
		body = strings.ToValidUTF8(body, "\uFFFD")
	}
	e.Response.Body = body
	return e, nil
}

func headers(raw []rawHeader) []Header {
	hs := make([]Header, len(raw))
	for i, h := range raw {
		hs[i] = Header(h)
	}
	return hs
}

// encodeParams rebuilds a urlencoded body from HAR postData params (some
// tools record params without text).
func encodeParams(ps []rawHeader) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(formEscape(p.Name) + "=" + formEscape(p.Value))
	}
	return b.String()
}

func (p *parser) expectDelim(d json.Delim, where, msg string) error {
	off := p.valueStart(p.dec.InputOffset())
	tok, err := p.dec.Token()
	if err != nil {
		return p.jsonErr(err, where)
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return p.errAt(off, where, msg)
	}
	return nil
}

func (p *parser) key(where string) (string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", p.jsonErr(err, where)
	}
	k, ok := tok.(string)
	if !ok {
		return "", p.errAt(p.dec.InputOffset(), where, "want a member name")
	}
	return k, nil
}

// skip reads and drops one value.
func (p *parser) skip(where string) error {
	var raw json.RawMessage
	if err := p.dec.Decode(&raw); err != nil {
		return p.jsonErr(err, where)
	}
	return nil
}

// valueStart moves an offset past whitespace, commas and colons to where
// the next value starts.
func (p *parser) valueStart(off int64) int64 {
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// lineCol converts a byte offset to a 1-based line and column (in bytes).
func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxFileBytes > 0 {
		d.MaxFileBytes = l.MaxFileBytes
	}
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxBodyBytes > 0 {
		d.MaxBodyBytes = l.MaxBodyBytes
	}
	if l.MaxValuesPerResponse > 0 {
		d.MaxValuesPerResponse = l.MaxValuesPerResponse
	}
	if l.MaxIndexedValues > 0 {
		d.MaxIndexedValues = l.MaxIndexedValues
	}
	return d
}
