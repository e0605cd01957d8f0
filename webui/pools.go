package webui

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/scenario"
)

// countedPool wraps a data pool to count what the "Data pools" tab shows.
// Draws are not on the plain-request hot path; a count is one atomic add.
type countedPool struct {
	datasource.Pool
	drawn, inUse, timeouts, exhausted atomic.Int64
}

// Draw hands out a row, counting it, and a held row in unique-recycle mode.
func (p *countedPool) Draw(ctx context.Context, h *datasource.Holder) (datasource.Row, error) {
	_, before := h.Held()
	row, err := p.Pool.Draw(ctx, h)
	// A unique-recycle draw gives back the row the holder held, then
	// takes another (or fails and holds none).
	_, after := h.Held()
	p.inUse.Add(b2i(after) - b2i(before))
	switch {
	case err == nil:
		p.drawn.Add(1)
	case errors.Is(err, datasource.ErrTimeout):
		p.timeouts.Add(1)
	case errors.Is(err, datasource.ErrExhausted):
		p.exhausted.Add(1)
	}
	return row, err
}

// Release returns h's row, counting it back.
func (p *countedPool) Release(h *datasource.Holder) {
	_, before := h.Held()
	p.Pool.Release(h)
	_, after := h.Held()
	p.inUse.Add(b2i(after) - b2i(before))
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (p *countedPool) status() PoolStatus {
	st := PoolStatus{Name: p.Name(), Mode: string(p.Mode()), Rows: p.Len(), Drawn: p.drawn.Load(),
		InUse: p.inUse.Load(), Timeouts: p.timeouts.Load(), Exhausted: p.exhausted.Load(), Left: -1}
	switch p.Mode() {
	case scenario.UniqueOnce:
		st.Left = max(int64(st.Rows)-st.Drawn, 0)
	case scenario.UniqueRecycle:
		st.Left = max(int64(st.Rows)-st.InUse, 0)
	}
	return st
}
