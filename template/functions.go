package template

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
)

// function is one built-in function of loadrun's expressions. Arity is
// checked at compile time by CompileExpr; arguments are converted at run
// time, because a variable's type (a pool column is always a string) is only
// known then.
type function struct {
	name string
	// params names the arguments, for messages.
	params []string
	fn     func(args ...any) (any, error)
}

// arityError is "" when n arguments are right for f.
func (f *function) arityError(n int) string {
	if n == len(f.params) {
		return ""
	}
	switch len(f.params) {
	case 0:
		return fmt.Sprintf("%s takes no arguments, got %d", f.name, n)
	case 1:
		return fmt.Sprintf("%s takes 1 argument (%s), got %d", f.name, f.params[0], n)
	}
	return fmt.Sprintf("%s takes %d arguments (%s), got %d", f.name, len(f.params), strings.Join(f.params, ", "), n)
}

// maxGenerated bounds randString and randHex so that a typo such as
// randString(10000000000) fails instead of eating the generator's memory.
const maxGenerated = 1 << 20

// functions is loadrun's function table. Names expr already has (upper,
// lower, trim, now, date, len, string, int, toJSON, toBase64, ...) are not
// redefined: expr's documentation stays true for them.
var functions = []*function{
	{name: "randInt", params: []string{"min", "max"}, fn: randInt},
	{name: "randFloat", params: []string{"min", "max"}, fn: randFloat},
	{name: "randString", params: []string{"n"}, fn: randString},
	{name: "randHex", params: []string{"n"}, fn: randHex},
	{name: "uuid", fn: func(...any) (any, error) { return newUUID(), nil }},
	{name: "pick", params: []string{"list"}, fn: pick},
	{name: "unix", fn: func(...any) (any, error) { return int(time.Now().Unix()), nil }},
	{name: "unixMs", fn: func(...any) (any, error) { return int(time.Now().UnixMilli()), nil }},
	{name: "formatTime", params: []string{"t", "layout"}, fn: formatTime},
	{name: "formatNow", params: []string{"layout"}, fn: func(args ...any) (any, error) {
		return formatTime(time.Now(), args[0])
	}},
	{name: "urlEncode", params: []string{"s"}, fn: stringFunc(url.QueryEscape)},
	{name: "raw", params: []string{"s"}, fn: func(args ...any) (any, error) {
		return Raw(toString(args[0])), nil
	}},
	{name: "urlDecode", params: []string{"s"}, fn: func(args ...any) (any, error) {
		s, err := url.QueryUnescape(toString(args[0]))
		if err != nil {
			return nil, fmt.Errorf("urlDecode: %w", err)
		}
		return s, nil
	}},
	{name: "base64", params: []string{"s"}, fn: stringFunc(func(s string) string {
		return base64.StdEncoding.EncodeToString([]byte(s))
	})},
	{name: "base64Decode", params: []string{"s"}, fn: base64Decode},
	{name: "jsonEncode", params: []string{"v"}, fn: func(args ...any) (any, error) {
		b, err := json.Marshal(args[0])
		if err != nil {
			return nil, fmt.Errorf("jsonEncode: %w", err)
		}
		return string(b), nil
	}},
	{name: "md5", params: []string{"s"}, fn: stringFunc(func(s string) string {
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	})},
	{name: "sha1", params: []string{"s"}, fn: stringFunc(func(s string) string {
		sum := sha1.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	})},
	{name: "sha256", params: []string{"s"}, fn: stringFunc(func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	})},
	{name: "hmacSha256", params: []string{"key", "s"}, fn: func(args ...any) (any, error) {
		h := hmac.New(sha256.New, []byte(toString(args[0])))
		h.Write([]byte(toString(args[1])))
		return hex.EncodeToString(h.Sum(nil)), nil
	}},
}

// Raw is text that a URL takes as written: raw(x) in a request URL opts
// out of the encoding the engine gives inserted values (RenderEscaped).
type Raw string

// functionByName indexes functions for the compile-time call check.
var functionByName = func() map[string]*function {
	m := make(map[string]*function, len(functions))
	for _, f := range functions {
		m[f.name] = f
	}
	return m
}()

// Functions is the built-in function table as expr options, so that other
// packages (checks) compile expressions with the same functions plus their
// own variables. Each function is declared with its number of parameters,
// so expr rejects a wrong argument count at compile time there too.
func Functions() []expr.Option {
	opts := make([]expr.Option, 0, len(functions))
	for _, f := range functions {
		opts = append(opts, expr.Function(f.name, f.fn, f.signature()))
	}
	return opts
}

// untypedFunctions are the options CompileExpr uses: arity is left to its
// own check, whose message names the parameters.
func untypedFunctions() []expr.Option {
	opts := make([]expr.Option, 0, len(functions))
	for _, f := range functions {
		opts = append(opts, expr.Function(f.name, f.fn))
	}
	return opts
}

var anyType = reflect.TypeFor[any]()

// signature is a nil func value of type func(any, ..., any) any with one
// parameter per param: expr reads only its type.
func (f *function) signature() any {
	in := make([]reflect.Type, len(f.params))
	for i := range in {
		in[i] = anyType
	}
	return reflect.Zero(reflect.FuncOf(in, []reflect.Type{anyType}, false)).Interface()
}

// FunctionNames lists loadrun's own function names (expr's builtins are not
// included), for "did you mean" messages elsewhere.
func FunctionNames() []string {
	names := make([]string, len(functions))
	for i, f := range functions {
		names[i] = f.name
	}
	return names
}

func stringFunc(f func(string) string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) { return f(toString(args[0])), nil }
}

func randInt(args ...any) (any, error) {
	lo, err := toInt("randInt", "min", args[0])
	if err != nil {
		return nil, err
	}
	hi, err := toInt("randInt", "max", args[1])
	if err != nil {
		return nil, err
	}
	if lo > hi {
		return nil, fmt.Errorf("randInt: min %d is greater than max %d", lo, hi)
	}
	// Unsigned subtraction cannot overflow, even for the full int range.
	span := uint64(hi) - uint64(lo)
	if span == math.MaxUint64 {
		return int(rand.Uint64()), nil
	}
	return lo + int(rand.Uint64N(span+1)), nil
}

func randFloat(args ...any) (any, error) {
	lo, err := toFloat("randFloat", "min", args[0])
	if err != nil {
		return nil, err
	}
	hi, err := toFloat("randFloat", "max", args[1])
	if err != nil {
		return nil, err
	}
	if lo > hi {
		return nil, fmt.Errorf("randFloat: min %v is greater than max %v", lo, hi)
	}
	return lo + rand.Float64()*(hi-lo), nil
}

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// generatedLen reads and bounds the length argument of randString and randHex.
func generatedLen(name string, arg any) (int, error) {
	n, err := toInt(name, "n", arg)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > maxGenerated {
		return 0, fmt.Errorf("%s: length %d is not between 0 and %d", name, n, maxGenerated)
	}
	return n, nil
}

func randString(args ...any) (any, error) {
	n, err := generatedLen("randString", args[0])
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = alphanumeric[rand.IntN(len(alphanumeric))]
	}
	return string(b), nil
}

func randHex(args ...any) (any, error) {
	n, err := generatedLen("randHex", args[0])
	if err != nil {
		return nil, err
	}
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	var bits uint64
	for i := range b {
		if i%16 == 0 {
			bits = rand.Uint64()
		}
		b[i] = digits[bits&15]
		bits >>= 4
	}
	return string(b), nil
}

// newUUID makes a version 4 UUID. math/rand/v2's top-level source is the
// runtime's per-thread ChaCha8, unpredictable and lock-free, so no crypto/rand
// system call is needed per id.
func newUUID() string {
	var u [16]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		u[i] = byte(hi >> (56 - 8*i))
		u[8+i] = byte(lo >> (56 - 8*i))
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// pick returns a random element of a list. A string is taken as a
// comma-separated list, the form a list is rendered in.
func pick(args ...any) (any, error) {
	switch l := args[0].(type) {
	case string:
		if l == "" {
			return nil, fmt.Errorf("pick: the list is empty")
		}
		parts := strings.Split(l, ",")
		return parts[rand.IntN(len(parts))], nil
	case []any:
		if len(l) == 0 {
			return nil, fmt.Errorf("pick: the list is empty")
		}
		return l[rand.IntN(len(l))], nil
	case []string:
		if len(l) == 0 {
			return nil, fmt.Errorf("pick: the list is empty")
		}
		return l[rand.IntN(len(l))], nil
	}
	rv := reflect.ValueOf(args[0])
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, fmt.Errorf("pick: needs a list, got %T", args[0])
	}
	if rv.Len() == 0 {
		return nil, fmt.Errorf("pick: the list is empty")
	}
	return rv.Index(rand.IntN(rv.Len())).Interface(), nil
}

// namedLayouts lets a scenario write `formatTime(t, "RFC3339")` instead of
// Go's reference-time layout.
var namedLayouts = map[string]string{
	"ANSIC":       time.ANSIC,
	"RFC822":      time.RFC822,
	"RFC822Z":     time.RFC822Z,
	"RFC850":      time.RFC850,
	"RFC1123":     time.RFC1123,
	"RFC1123Z":    time.RFC1123Z,
	"RFC3339":     time.RFC3339,
	"RFC3339Nano": time.RFC3339Nano,
	"Kitchen":     time.Kitchen,
	"DateTime":    time.DateTime,
	"DateOnly":    time.DateOnly,
	"TimeOnly":    time.TimeOnly,
	"StampMilli":  time.StampMilli,
}

func formatTime(args ...any) (any, error) {
	var t time.Time
	switch x := args[0].(type) {
	case time.Time:
		t = x
	case string:
		var err error
		if t, err = time.Parse(time.RFC3339Nano, x); err != nil {
			return nil, fmt.Errorf("formatTime: %q is not an RFC 3339 time", x)
		}
	default:
		return nil, fmt.Errorf("formatTime: needs a time such as now(), got %T", args[0])
	}
	layout := toString(args[1])
	switch layout {
	case "unix":
		return strconv.FormatInt(t.Unix(), 10), nil
	case "unixMs":
		return strconv.FormatInt(t.UnixMilli(), 10), nil
	}
	if named, ok := namedLayouts[layout]; ok {
		layout = named
	}
	return t.Format(layout), nil
}

func base64Decode(args ...any) (any, error) {
	s := toString(args[0])
	// Tokens come padded and unpadded, standard and URL-safe; accept all of
	// them rather than make testers guess which one a server used.
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b), nil
		}
	}
	return nil, fmt.Errorf("base64Decode: %q is not base64", s)
}

// toString renders an argument as a template would.
func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := AppendValue(nil, v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func toInt(fn, param string, v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return int(x), nil
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n, nil
		}
	default:
		rv := reflect.ValueOf(v)
		switch {
		case rv.CanInt():
			return int(rv.Int()), nil
		case rv.CanUint() && rv.Uint() <= math.MaxInt:
			return int(rv.Uint()), nil
		}
	}
	return 0, fmt.Errorf("%s: %s must be a whole number, got %#v", fn, param, v)
}

func toFloat(fn, param string, v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f, nil
		}
	default:
		rv := reflect.ValueOf(v)
		switch {
		case rv.CanFloat():
			return rv.Float(), nil
		case rv.CanInt():
			return float64(rv.Int()), nil
		case rv.CanUint():
			return float64(rv.Uint()), nil
		}
	}
	return 0, fmt.Errorf("%s: %s must be a number, got %#v", fn, param, v)
}
