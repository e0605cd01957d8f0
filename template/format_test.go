package template

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

type named string

type point struct{ X, Y int }

func TestAppendValue(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		// nil is nothing.
		{nil, ""},
		// Strings as they are.
		{"a b", "a b"},
		// Bytes as they are.
		{[]byte("raw"), "raw"},
		// Ints of every size.
		{int8(-8), "-8"},
		// Large unsigned.
		{uint64(math.MaxUint64), "18446744073709551615"},
		// A whole float has no decimals.
		{3.0, "3"},
		// A fraction in shortest form.
		{0.1, "0.1"},
		// float32 is shortest at its own precision.
		{float32(0.1), "0.1"},
		// Big floats keep digits, no exponent.
		{1.5e20, "150000000000000000000"},
		// Huge floats use an exponent.
		{1e21, "1e+21"},
		// Tiny floats use an exponent.
		{1e-7, "1e-07"},
		// Small but ordinary floats do not.
		{0.000001, "0.000001"},
		// Negative zero.
		{math.Copysign(0, -1), "-0"},
		// Bools.
		{false, "false"},
		// A string list.
		{[]string{"a", "b"}, "a,b"},
		// A mixed list, nested.
		{[]any{1, 2.5, []any{"x", nil}}, "1,2.5,x,"},
		// A typed list through reflection.
		{[]int{1, 2}, "1,2"},
		// A pool row as JSON with sorted keys.
		{map[string]string{"b": "2", "a": "1"}, `{"a":"1","b":"2"}`},
		// A map[string]any as JSON.
		{map[string]any{"n": 1}, `{"n":1}`},
		// A time as RFC 3339.
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "2024-01-02T03:04:05Z"},
		// A duration.
		{1500 * time.Millisecond, "1.5s"},
		// A named string type.
		{named("n"), "n"},
		// A struct as JSON.
		{point{1, 2}, `{"X":1,"Y":2}`},
		// A nil pointer is nothing.
		{(*point)(nil), ""},
		// An error as its message.
		{errors.New("boom"), "boom"},
	}
	for _, tt := range tests {
		got, err := AppendValue([]byte("<"), tt.in)
		if err != nil {
			t.Errorf("AppendValue(%#v): %v", tt.in, err)
			continue
		}
		if want := "<" + tt.want; string(got) != want {
			t.Errorf("AppendValue(%#v) = %q, want %q", tt.in, got, want)
		}
	}
}

func TestAppendValueErrors(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		// A function has no text.
		{func() {}, "a value of type func() cannot be written as text"},
		// A channel neither.
		{make(chan int), "a value of type chan int cannot be written as text"},
		// A map JSON cannot encode.
		{map[string]any{"f": func() {}}, "writing map[string]interface {} as JSON"},
	}
	for _, tt := range tests {
		_, err := AppendValue(nil, tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AppendValue(%T): error %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}
