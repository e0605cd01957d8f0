package datasource

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// jsonTable reads a JSON array of objects. The columns are the keys in the
// order they first appear; an object without a key has an empty value for
// it. Strings are taken as they are, numbers and booleans as their JSON
// text, null as empty, and nested objects or arrays as their compact JSON.
func jsonTable(r io.Reader, size int64, name string) (*table, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: the file is empty", name)
	}
	at := func(off int64) string {
		return fmt.Sprintf("%s:%d", name, 1+bytes.Count(data[:min(off, int64(len(data)))], []byte{'\n'}))
	}
	// next is where the next token starts: the decoder's offset is before
	// the whitespace and comma that precede it.
	next := func(off int64) int64 {
		for off < int64(len(data)) && bytes.IndexByte([]byte(" \t\r\n,"), data[off]) >= 0 {
			off++
		}
		return off
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%s: %v", at(se.Offset), err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: the JSON ends too early", at(int64(len(data))))
		}
		return fmt.Errorf("%s: %v", at(dec.InputOffset()), err)
	}

	start := next(dec.InputOffset())
	tok, err := dec.Token()
	if err != nil {
		return nil, fail(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("%s: want a JSON array of objects, found %s", at(start), kindOf(tok))
	}

	// Values are kept per object until all keys are known, since a later
	// object may add a column the earlier rows need an empty value for.
	var (
		columns []string
		index   = map[string]int{}
		rows    [][]string
		raw     json.RawMessage
	)
	for dec.More() {
		start := next(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return nil, fmt.Errorf("%s: element %d is %s, want an object", at(start), len(rows)+1, kindOf(tok))
		}
		var row []string
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, fail(err)
			}
			key := tok.(string) // inside an object the decoder yields only string keys
			raw = raw[:0]
			if err := dec.Decode(&raw); err != nil {
				return nil, fail(err)
			}
			value, err := jsonText(raw)
			if err != nil {
				return nil, fail(err)
			}
			i, ok := index[key]
			if !ok {
				if key == "" {
					return nil, fmt.Errorf("%s: element %d has an empty key, which cannot name a column", at(start), len(rows)+1)
				}
				i = len(columns)
				index[key] = i
				columns = append(columns, key)
			}
			if i >= len(row) {
				row = slices.Grow(row, i+1-len(row))[:i+1]
			}
			row[i] = value
		}
		if _, err := dec.Token(); err != nil { // the closing '}'
			return nil, fail(err)
		}
		rows = append(rows, row)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, fail(err)
	}
	if off := dec.InputOffset(); len(bytes.TrimSpace(data[off:])) > 0 {
		return nil, fmt.Errorf("%s: unexpected data after the array", at(next(off)))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: the array has no objects", name)
	}
	if len(columns) == 0 {
		return nil, fmt.Errorf("%s: the objects have no keys", name)
	}

	b := newTableBuilder(columns, size)
	fields := make([]string, len(columns))
	for _, row := range rows {
		clear(fields)
		copy(fields, row)
		if err := b.add(fields); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
	}
	return b.table(), nil
}

// jsonText is the text a template sees for one JSON value.
func jsonText(raw json.RawMessage) (string, error) {
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case 'n':
		return "", nil
	case '{', '[':
		var b bytes.Buffer
		err := json.Compact(&b, raw)
		return b.String(), err
	default: // numbers, true, false: their text as written
		return string(raw), nil
	}
}

// kindOf names a JSON token for messages.
func kindOf(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}
