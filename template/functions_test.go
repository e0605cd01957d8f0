package template

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr"

	"github.com/loadrun/loadrun/scenario"
)

// eval compiles and evaluates one bare expression for the function tests.
func eval(t *testing.T, src string, v Vars) (any, error) {
	t.Helper()
	e, err := CompileExpr(src, scenario.Pos{})
	if err != nil {
		t.Fatalf("CompileExpr(%q): %v", src, err)
	}
	return e.Eval(v)
}

// Deterministic functions give exactly one result.
func TestFunctionsExact(t *testing.T) {
	fixed := time.Date(2024, 3, 5, 14, 7, 9, 123e6, time.UTC)
	v := Vars{"t": fixed, "n": "3", "items": []string{"only"}}
	tests := []struct {
		src  string
		want any
	}{
		// Query escaping of spaces and reserved characters.
		{`urlEncode("a b&c=d/é")`, "a+b%26c%3Dd%2F%C3%A9"},
		// And back.
		{`urlDecode("a+b%26c%3Dd%2F%C3%A9")`, "a b&c=d/é"},
		// Standard base64 with padding.
		{`base64("hello?")`, "aGVsbG8/"},
		// Padded standard base64 decodes.
		{`base64Decode("aGk=")`, "hi"},
		// Unpadded and URL-safe base64 decode too.
		{`base64Decode("aGVsbG8_")`, "hello?"},
		// jsonEncode is compact and sorts map keys.
		{`jsonEncode({"b": 1, "a": [true, "x"]})`, `{"a":[true,"x"],"b":1}`},
		// jsonEncode of a string quotes it.
		{`jsonEncode("q\"")`, `"q\""`},
		// md5 in hex.
		{`md5("abc")`, "900150983cd24fb0d6963f7d28e17f72"},
		// sha1 in hex.
		{`sha1("abc")`, "a9993e364706816aba3e25717850c26c9cd0d89d"},
		// sha256 in hex.
		{`sha256("abc")`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		// HMAC-SHA256 (RFC 4231 test case 2).
		{`hmacSha256("Jefe", "what do ya want for nothing?")`, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		// Hashing a number hashes its text.
		{`md5(1)`, "c4ca4238a0b923820dcc509a6f75849b"},
		// A Go layout.
		{`formatTime(t, "2006-01-02 15:04:05.000")`, "2024-03-05 14:07:09.123"},
		// A named layout.
		{`formatTime(t, "RFC3339")`, "2024-03-05T14:07:09Z"},
		// Unix seconds and milliseconds as text.
		{`formatTime(t, "unix") + "/" + formatTime(t, "unixMs")`, "1709647629/1709647629123"},
		// An RFC 3339 string is accepted as a time.
		{`formatTime("2024-03-05T14:07:09Z", "DateOnly")`, "2024-03-05"},
		// randInt with min == max, numbers given as strings (a pool column).
		{`randInt(n, "3")`, 3},
		// randFloat with min == max.
		{`randFloat(1.5, 1.5)`, 1.5},
		// Zero-length random strings.
		{`randString(0) + randHex(0)`, ""},
		// pick of one element.
		{`pick(items)`, "only"},
		// pick of a comma list in a string.
		{`pick("solo")`, "solo"},
		// expr's own builtins stay as expr documents them.
		{`upper("a") + lower("B") + trim("  c ") + string(1) + toBase64("hi")`, "Abc1aGk="},
	}
	for _, tt := range tests {
		got, err := eval(t, tt.src, v)
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s = %#v, want %#v", tt.src, got, tt.want)
		}
	}
}

// Random and clock functions are checked for range and shape over many draws.
func TestFunctionsShape(t *testing.T) {
	tests := []struct {
		src   string
		check func(any) bool
		want  string
	}{
		// randInt is inclusive at both ends.
		{`randInt(1, 3)`, func(x any) bool { n, ok := x.(int); return ok && n >= 1 && n <= 3 }, "an int in [1, 3]"},
		// Negative bounds.
		{`randInt(-2, -1)`, func(x any) bool { n, ok := x.(int); return ok && (n == -2 || n == -1) }, "-2 or -1"},
		// randFloat is in [min, max).
		{`randFloat(0, 0.5)`, func(x any) bool { f, ok := x.(float64); return ok && f >= 0 && f < 0.5 }, "a float in [0, 0.5)"},
		// randString is alphanumeric of the asked length.
		{`randString(20)`, matches(`^[A-Za-z0-9]{20}$`), "20 alphanumerics"},
		// randHex is lowercase hex of the asked length, odd lengths too.
		{`randHex(33)`, matches(`^[0-9a-f]{33}$`), "33 hex digits"},
		// uuid is version 4, RFC 4122 variant.
		{`uuid()`, matches(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), "a v4 UUID"},
		// pick returns an element of the list.
		{`pick(["a", "b"])`, func(x any) bool { return x == "a" || x == "b" }, "a or b"},
		// pick splits a string on commas.
		{`pick("a,b")`, func(x any) bool { return x == "a" || x == "b" }, "a or b"},
		// unix is close to now (generous bounds: the test machine may be slow).
		{`unix()`, near(time.Second), "now in seconds"},
		// unixMs too.
		{`int(unixMs() / 1000)`, near(time.Second), "now in milliseconds"},
		// formatNow formats the current time.
		{`formatNow("DateOnly")`, matches(`^\d{4}-\d{2}-\d{2}$`), "a date"},
		// now() is expr's builtin and a time.
		{`now()`, func(x any) bool { _, ok := x.(time.Time); return ok }, "a time.Time"},
	}
	for _, tt := range tests {
		for range 200 {
			got, err := eval(t, tt.src, nil)
			if err != nil {
				t.Fatalf("%s: %v", tt.src, err)
			}
			if !tt.check(got) {
				t.Fatalf("%s = %#v, want %s", tt.src, got, tt.want)
			}
		}
	}
	// Both ends of randInt's range come up in 2000 draws (chance of a miss < 1e-300).
	seen := map[any]bool{}
	for range 2000 {
		got, _ := eval(t, `randInt(1, 3)`, nil)
		seen[got] = true
	}
	if len(seen) != 3 {
		t.Errorf("randInt(1, 3) produced %v, want all of 1, 2, 3", seen)
	}
	// Two uuids differ.
	a, _ := eval(t, "uuid()", nil)
	b, _ := eval(t, "uuid()", nil)
	if a == b {
		t.Errorf("two uuid() calls both gave %v", a)
	}
}

func matches(re string) func(any) bool {
	r := regexp.MustCompile(re)
	return func(x any) bool { s, ok := x.(string); return ok && r.MatchString(s) }
}

// near accepts an int of Unix seconds within d of the test's clock.
func near(d time.Duration) func(any) bool {
	return func(x any) bool {
		n, ok := x.(int)
		if !ok {
			return false
		}
		diff := time.Since(time.Unix(int64(n), 0))
		return diff > -d-time.Second && diff < d+time.Minute
	}
}

func TestFunctionErrors(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		// min above max.
		{`randInt(3, 1)`, "randInt: min 3 is greater than max 1"},
		// Not a number.
		{`randInt("x", 1)`, `randInt: min must be a whole number, got "x"`},
		// A fraction where a whole number is needed.
		{`randString(1.5)`, "randString: n must be a whole number, got 1.5"},
		// Negative length.
		{`randHex(-1)`, "randHex: length -1 is not between 0 and 1048576"},
		// Too long.
		{`randString(10000000000)`, "randString: length 10000000000 is not between 0 and 1048576"},
		// randFloat of a non-number.
		{`randFloat(1, "z")`, `randFloat: max must be a number, got "z"`},
		// pick of nothing.
		{`pick([])`, "pick: the list is empty"},
		// pick of a non-list.
		{`pick(1)`, "pick: needs a list, got int"},
		// A bad escape.
		{`urlDecode("%zz")`, "urlDecode: invalid URL escape"},
		// Not base64.
		{`base64Decode("!!!")`, `base64Decode: "!!!" is not base64`},
		// formatTime of a non-time.
		{`formatTime(1, "unix")`, "formatTime: needs a time such as now(), got int"},
		// formatTime of a bad string.
		{`formatTime("yesterday", "unix")`, `formatTime: "yesterday" is not an RFC 3339 time`},
	}
	for _, tt := range tests {
		_, err := eval(t, tt.src, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to contain %q", tt.src, err, tt.want)
		}
	}
}

// Functions() gives checks the same table; every function of ours is there.
func TestFunctionsOptions(t *testing.T) {
	if got, want := len(Functions()), len(FunctionNames()); got != want {
		t.Errorf("len(Functions()) = %d, want %d", got, want)
	}
	for _, name := range FunctionNames() {
		args := strings.TrimSuffix(strings.Repeat("1, ", len(functionByName[name].params)), ", ")
		if _, err := CompileExpr(name+"("+args+")", scenario.Pos{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// With Functions() alone, as checks compile, expr checks the count.
	opts := append([]expr.Option{expr.Env(map[string]any{})}, Functions()...)
	if _, err := expr.Compile(`randInt(1)`, opts...); err == nil || !strings.Contains(err.Error(), "not enough arguments to call randInt") {
		t.Errorf("expr.Compile(randInt(1)) with Functions(): error %v, want not enough arguments", err)
	}
	p, err := expr.Compile(`randInt(2, 2) + len(sha256("x"))`, opts...)
	if err != nil {
		t.Fatalf("expr.Compile with Functions(): %v", err)
	}
	if got, err := expr.Run(p, map[string]any{}); err != nil || got != 66 {
		t.Errorf("run with Functions() = %v, %v; want 66", got, err)
	}
	if got := strconv.Quote(suggest("sha265")); got != `"sha256"` {
		t.Errorf("suggest(sha265) = %s, want \"sha256\"", got)
	}
}
