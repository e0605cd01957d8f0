package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/loadrun/loadrun/engine"
)

// httpFlags are the flags of `loadrun run` that shape its HTTP client.
type httpFlags struct {
	maxHeader sizeValue
}

func (h *httpFlags) register(fs *flag.FlagSet) {
	fs.Var(&h.maxHeader, "max-header-size", "largest response header block accepted, e.g. 64k, 1m (default 64k)")
}

// apply sets the client options of a run.
func (h *httpFlags) apply(o *engine.Options) {
	o.MaxHeaderBytes = int(h.maxHeader)
}

// sizeValue is a byte count written as 65536, 64k or 1m (KiB, MiB).
type sizeValue int64

func (v *sizeValue) String() string { return strconv.FormatInt(int64(*v), 10) }

func (v *sizeValue) Set(s string) error {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"kb", 1 << 10}, {"mb", 1 << 20}, {"k", 1 << 10}, {"m", 1 << 20}, {"b", 1}} {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n <= 0 || n > (1<<30)/mult {
		return fmt.Errorf("%q is not a size such as 65536, 64k or 1m (at most 1 GiB)", s)
	}
	*v = sizeValue(n * mult)
	return nil
}
