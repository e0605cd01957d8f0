package scenario

import (
	"fmt"
	"strings"
)

// String renders a position as `file:line:col` (parts that are unknown are left out).
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Error is one problem in a scenario, at a position.
type Error struct {
	Pos Pos
	Msg string
}

// Errorf makes an Error at pos.
func Errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Error is "file:line:col: message" (the message alone without a position).
func (e *Error) Error() string {
	if p := e.Pos.String(); p != "" {
		return p + ": " + e.Msg
	}
	return e.Msg
}

// ErrorList is every problem found in a scenario, in file order. It is
// returned as an error only when it is not empty (see Err).
type ErrorList []*Error

// Error is every problem's Error, one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Add appends an error at pos.
func (l *ErrorList) Add(pos Pos, format string, args ...any) {
	*l = append(*l, Errorf(pos, format, args...))
}

// Err returns nil for an empty list, so that a nil check works.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
