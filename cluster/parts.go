package cluster

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// A NATS server refuses a message larger than its max_payload (1 MB unless
// configured otherwise), and a worker's statistics can be larger: hundreds
// of request names with their histograms, a thousand error texts, and the
// whole per-second history in the final shipment. Such a message goes in
// parts of at most the server's max payload, each carrying headers that say
// whose message it is and which part; the receiver puts them back
// together. Parts of one message come from one connection on one subject,
// so NATS delivers them in order; a missing part (a slow consumer) drops
// the message, which costs nothing with cumulative statistics: the next
// one, a second later, has everything.
const (
	hdrFrom = "Loadrun-From" // the sender (a hash of the worker's name, say)
	hdrMsg  = "Loadrun-Msg"  // the message's id from that sender
	hdrPart = "Loadrun-Part" // "I/N": part I (from 1) of N
)

// partRoom is what a part leaves of the max payload for its headers.
const partRoom = 1024

// maxWhole bounds a message sent in parts, and so the memory a receiver
// gives one sender's message while putting it together.
const maxWhole = 64 << 20

// maxSenders bounds the senders whose messages are put together at once,
// and maxHeld the bytes held for all of them.
const (
	maxSenders = 1024
	maxHeld    = 512 << 20
)

// partsWithin is how long a message may take to come in whole: parts of
// one that never completes (a sender that died half-way, or a peer that
// starts messages it never ends) are dropped after it.
const partsWithin = 10 * time.Second

// partSize is the largest part nc's server takes, headers included.
func partSize(nc *nats.Conn) int {
	return max(int(nc.MaxPayload())-partRoom, 1024)
}

// publishParts publishes data on subject: as one plain message when it fits
// in size bytes, else in parts of size bytes with the headers above.
func publishParts(nc *nats.Conn, subject, from string, id int64, data []byte, size int) error {
	if len(data) <= size {
		return nc.Publish(subject, data)
	}
	if len(data) > maxWhole {
		return fmt.Errorf("a message of %d MiB is over the %d MiB loadrun sends in parts", len(data)>>20, maxWhole>>20)
	}
	n := (len(data) + size - 1) / size
	// The sender's name (a worker's --name, a rendezvous name) may be long
	// or hold line breaks, which a header cannot: a hash of it stands in.
	h := fnv.New64a()
	h.Write([]byte(from))
	key := strconv.FormatUint(h.Sum64(), 16)
	for i := range n {
		m := nats.NewMsg(subject)
		m.Header.Set(hdrFrom, key)
		m.Header.Set(hdrMsg, strconv.FormatInt(id, 10))
		m.Header.Set(hdrPart, strconv.Itoa(i+1)+"/"+strconv.Itoa(n))
		m.Data = data[i*size : min(len(data), (i+1)*size)]
		if err := nc.PublishMsg(m); err != nil {
			return fmt.Errorf("part %d of %d: %w", i+1, n, err)
		}
	}
	return nil
}

// assembler puts messages published by publishParts back together and
// hands each whole message to deliver (plain messages go straight
// through). It keeps one message in the making per sender: a newer message
// from a sender replaces its unfinished older one. Its onMsg is safe for
// concurrent use.
type assembler struct {
	deliver func(data []byte)
	// logf tells why a message was dropped; nil discards it.
	logf func(format string, args ...any)

	mu      sync.Mutex
	pending map[string]*partial
	held    int // bytes in pending
	// now is the clock (tests set it).
	now func() time.Time
	// drops says why messages were dropped.
	drops dropLog
}

// partial is a message being put together.
type partial struct {
	id      string
	next, n int // the part expected next (from 1), of n
	data    []byte
	started time.Time
}

func newAssembler(deliver func([]byte), logf func(string, ...any)) *assembler {
	return &assembler{deliver: deliver, logf: logf, pending: map[string]*partial{}, now: time.Now}
}

// drop says why a message was dropped: the first few times, then every
// thousandth time with a count, so that a peer sending nonsense cannot
// flood the log.
func (a *assembler) drop(format string, args ...any) {
	a.drops.logf(a.logf, format, args...)
}

func (a *assembler) onMsg(msg *nats.Msg) {
	part := msg.Header.Get(hdrPart)
	if part == "" {
		a.deliver(msg.Data)
		return
	}
	from, id := msg.Header.Get(hdrFrom), msg.Header.Get(hdrMsg)
	si, sn, _ := strings.Cut(part, "/")
	i, err1 := strconv.Atoi(si)
	n, err2 := strconv.Atoi(sn)
	if err1 != nil || err2 != nil || i < 1 || i > n || n > maxWhole/1024 {
		a.drop("a message part from %q with a bad %s header %q: dropped", from, hdrPart, part)
		return
	}
	whole := a.add(from, id, i, n, msg.Data)
	if whole != nil {
		a.deliver(whole)
	}
}

// add files part i of n of a sender's message and returns the whole
// message once its last part is in.
func (a *assembler) add(from, id string, i, n int, data []byte) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	a.expire(now)
	p := a.pending[from]
	if i == 1 {
		if p != nil {
			a.remove(from)
		} else if len(a.pending) >= maxSenders {
			a.remove(a.oldest(""))
		}
		p = &partial{id: id, next: 1, n: n, started: now}
		a.pending[from] = p
	}
	switch {
	case p == nil || p.id != id:
		// The start of this message was missed, or a newer one began.
		return nil
	case p.n != n || p.next != i:
		a.remove(from)
		a.drop("message %q from %q: part %d of %d came when part %d of %d was due: dropped", id, from, i, n, p.next, p.n)
		return nil
	case len(p.data)+len(data) > maxWhole:
		a.remove(from)
		a.drop("message %q from %q is over %d MiB: dropped", id, from, maxWhole>>20)
		return nil
	}
	// Over the budget for all senders, the messages begun longest ago go
	// first; this one, if it alone is too much.
	for a.held+len(data) > maxHeld {
		old := a.oldest(from)
		if old == "" {
			a.remove(from)
			a.drop("message %q from %q: over the %d MiB held for messages in parts: dropped", id, from, maxHeld>>20)
			return nil
		}
		a.remove(old)
		a.drop("a message in parts from %q dropped: over the %d MiB held for messages in parts", old, maxHeld>>20)
	}
	p.data = append(p.data, data...)
	a.held += len(data)
	p.next++
	if p.next <= p.n {
		return nil
	}
	a.remove(from)
	return p.data
}

// expire drops the messages that began over partsWithin ago.
func (a *assembler) expire(now time.Time) {
	for from, p := range a.pending {
		if now.Sub(p.started) > partsWithin {
			a.remove(from)
			a.drop("message %q from %q: not whole within %s: dropped", p.id, from, partsWithin)
		}
	}
}

// remove forgets a sender's message in the making.
func (a *assembler) remove(from string) {
	if p := a.pending[from]; p != nil {
		a.held -= len(p.data)
		delete(a.pending, from)
	}
}

// oldest is the sender, other than but, whose message began longest ago
// ("" if none).
func (a *assembler) oldest(but string) string {
	oldest := ""
	for from, p := range a.pending {
		if from != but && (oldest == "" || p.started.Before(a.pending[oldest].started)) {
			oldest = from
		}
	}
	return oldest
}
