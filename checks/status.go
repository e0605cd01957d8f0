package checks

import (
	"fmt"
	"strconv"
	"strings"
)

// statusRange is an inclusive range of accepted status codes: "200" is
// 200-200, "2xx" is 200-299.
type statusRange struct{ lo, hi int }

// parseStatuses reads a status check's specs: codes ("200"), classes
// ("2xx") and ranges ("200-299"); a spec may also hold several
// comma-separated entries.
func parseStatuses(specs []string) ([]statusRange, error) {
	var out []statusRange
	for _, spec := range specs {
		for _, s := range strings.Split(spec, ",") {
			s = strings.TrimSpace(s)
			r, err := parseStatus(s)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("missing status codes (want e.g. 200, 2xx or 200-299)")
	}
	return out, nil
}

func parseStatus(s string) (statusRange, error) {
	bad := fmt.Errorf("bad status %q (want a code such as 200, a class such as 2xx, or a range such as 200-299)", s)
	if len(s) == 3 && (s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X') {
		c := int(s[0] - '0')
		if c < 1 || c > 5 {
			return statusRange{}, bad
		}
		return statusRange{c * 100, c*100 + 99}, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := code(lo)
	if err != nil {
		return statusRange{}, bad
	}
	if !isRange {
		return statusRange{a, a}, nil
	}
	b, err := code(hi)
	if err != nil || b < a {
		return statusRange{}, bad
	}
	return statusRange{a, b}, nil
}

func code(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 100 || n > 599 {
		return 0, fmt.Errorf("not a status code")
	}
	return n, nil
}

func statusOK(ranges []statusRange, status int) bool {
	for _, r := range ranges {
		if status >= r.lo && status <= r.hi {
			return true
		}
	}
	return false
}
