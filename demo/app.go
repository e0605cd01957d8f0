// Package demo is the built-in demo target of loadrun: a small web shop with
// logins, CSRF tokens, orders, registrations, rendezvous arrival records and
// deliberately slow, failing and misbehaving endpoints. `loadrun demo` serves
// it, and tests and examples of every loadrun feature run against it
// in-process, so it has to be fast (it shares the machine with the load
// generator) and everything it stores is in memory with a fixed bound.
//
// README.md in this folder lists every endpoint and what it exists to test.
package demo

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Default bounds of what the App keeps in memory. Older entries are dropped
// (orders, arrivals, sessions) or new ones refused (registrations) once a
// bound is reached, so a long load test cannot grow the demo without limit.
const (
	DefaultMaxOrders        = 10000
	DefaultMaxArrivals      = 100000
	DefaultMaxRegistrations = 100000
	DefaultMaxSessions      = 100000
	DefaultMaxPaths         = 10000
)

// Bounds on request parameters, so one request cannot tie the server up.
const (
	// MaxSlow is the longest /slow delay and /admin/stall duration.
	MaxSlow = 10 * time.Second
	// MaxBigKiB is the largest body /big streams (200 MiB).
	MaxBigKiB = 200 * 1024
	// MaxBodyBytes is how much of a request body /echo, /login and the
	// order and registration endpoints read.
	MaxBodyBytes = 1 << 20
)

// OtherPaths is the Stats.Requests key that counts requests to paths seen
// after Options.MaxPaths distinct paths were already counted.
const OtherPaths = "(other)"

// Options control what tests need. The zero value is the demo as `loadrun
// demo` serves it.
type Options struct {
	// Sleep waits for d or until ctx is done, whichever comes first; it
	// serves /slow and /admin/stall. Nil uses a timer, which
	// testing/synctest fakes; tests that want no waiting at all pass a
	// function that records d and returns.
	Sleep func(ctx context.Context, d time.Duration) error
	// Seed makes /flaky failures reproducible for a given request order.
	// Zero draws from the process-wide random source instead (no lock).
	Seed uint64
	// Accounts are the built-in username → password pairs. Nil means
	// user1/pass1 … user100/pass100 and demo/demo.
	Accounts map[string]string
	// Bounds; zero means the Default… constant of the same name.
	MaxOrders        int
	MaxArrivals      int
	MaxRegistrations int
	MaxSessions      int
	MaxPaths         int
}

// App is the demo application. It is an http.Handler safe for concurrent use.
type App struct {
	opts  Options
	mux   *http.ServeMux
	start time.Time // monotonic origin of arrival times and the stall deadline

	// stallUntil is the end of the current stall in ns since start (0: none).
	// It is read on every request, so it is a single atomic load.
	stallUntil atomic.Int64

	paths    sync.Map // path → *atomic.Int64; no lock on the read path
	npaths   atomic.Int64
	other    atomic.Int64
	total    atomic.Int64
	stalled  atomic.Int64
	flaky500 atomic.Int64
	resets   atomic.Int64

	randMu sync.Mutex // guards rnd, used only when Options.Seed is set
	rnd    *rand.Rand

	accounts map[string]string // read-only after New
	users    users
	sessions sessions
	orders   orders
	arrivals arrivals
}

// New returns the demo application.
func New(opts Options) *App {
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&opts.MaxOrders, DefaultMaxOrders)
	fill(&opts.MaxArrivals, DefaultMaxArrivals)
	fill(&opts.MaxRegistrations, DefaultMaxRegistrations)
	fill(&opts.MaxSessions, DefaultMaxSessions)
	fill(&opts.MaxPaths, DefaultMaxPaths)
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	a := &App{opts: opts, start: time.Now()}
	if opts.Seed != 0 {
		a.rnd = rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	}
	a.accounts = opts.Accounts
	if a.accounts == nil {
		a.accounts = defaultAccounts()
	}
	a.users.init(opts.MaxRegistrations)
	a.sessions.init(opts.MaxSessions)
	a.orders.init(opts.MaxOrders)
	a.arrivals.init(opts.MaxArrivals)
	a.mux = a.routes()
	return a
}

// ServeHTTP counts the request, holds it while a stall is in force, then
// routes it.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.total.Add(1)
	a.count(r.URL.Path)
	if until := a.stallUntil.Load(); until != 0 && !unstallable(r.URL.Path) {
		if left := until - a.now(); left > 0 {
			a.stalled.Add(1)
			if a.opts.Sleep(r.Context(), time.Duration(left)) != nil {
				return // the client went away during the stall
			}
		}
	}
	a.mux.ServeHTTP(w, r)
}

// Reset forgets everything the App recorded or created since New: counters,
// sessions, orders, registrations, arrivals and any stall in force. Requests
// in flight while Reset runs may be counted on either side of it.
func (a *App) Reset() {
	a.stallUntil.Store(0)
	a.paths.Clear()
	a.npaths.Store(0)
	for _, c := range []*atomic.Int64{&a.other, &a.total, &a.stalled, &a.flaky500, &a.resets} {
		c.Store(0)
	}
	a.users.reset()
	a.sessions.reset()
	a.orders.reset()
	a.arrivals.reset()
}

// unstallable paths answer during a stall, so it can be ended or watched.
func unstallable(path string) bool {
	return strings.HasPrefix(path, "/admin/") || path == "/api/stats"
}

// count adds one to the path's counter. The common case (a path seen before)
// is a lock-free map load and an atomic add.
func (a *App) count(path string) {
	if c, ok := a.paths.Load(path); ok {
		c.(*atomic.Int64).Add(1)
		return
	}
	if a.npaths.Load() >= int64(a.opts.MaxPaths) {
		a.other.Add(1)
		return
	}
	c, loaded := a.paths.LoadOrStore(path, new(atomic.Int64))
	if !loaded && a.npaths.Add(1) > int64(a.opts.MaxPaths) {
		// Lost a race for the last slots: undo, so the bound holds.
		a.paths.Delete(path)
		a.npaths.Add(-1)
		a.other.Add(1)
		return
	}
	c.(*atomic.Int64).Add(1)
}

// now is the monotonic time since New, in ns.
func (a *App) now() int64 { return int64(time.Since(a.start)) }

// float64 draws from [0, 1): seeded and locked when Options.Seed is set, the
// lock-free process-wide source otherwise.
func (a *App) float64() float64 {
	if a.rnd == nil {
		return rand.Float64()
	}
	a.randMu.Lock()
	defer a.randMu.Unlock()
	return a.rnd.Float64()
}

// sleep is the default Options.Sleep.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// routes maps every endpoint. README.md documents them in the same order.
func (a *App) routes() *http.ServeMux {
	m := http.NewServeMux()
	// Pages for HTML extractors (xpath, css, regex, boundary).
	m.HandleFunc("GET /{$}", a.home)
	m.HandleFunc("GET /about/", a.about)
	m.Handle("GET /static/", staticHandler())
	m.HandleFunc("GET /items/{id}", a.item)
	m.HandleFunc("GET /product/{id}", a.product)
	m.HandleFunc("GET /cart", a.cartPage)
	m.HandleFunc("GET /api/cart", a.cartAPI)
	m.HandleFunc("GET /api/items", a.itemsAPI)
	m.HandleFunc("GET /xml", a.xmlDoc)

	// Sessions, CSRF, orders and registrations (correlation, pools).
	m.HandleFunc("GET /login", a.loginForm)
	m.HandleFunc("POST /login", a.login)
	m.HandleFunc("POST /logout", a.logout)
	m.HandleFunc("GET /account", a.account)
	m.HandleFunc("GET /api/profile", a.profile)
	m.HandleFunc("POST /api/orders", a.createOrder)
	m.HandleFunc("GET /api/orders/{id}", a.orderAPI)
	m.HandleFunc("GET /orders/{id}", a.orderPage)
	m.HandleFunc("POST /register", a.register)
	m.HandleFunc("GET /api/registrations", a.registrations)

	// Rendezvous arrivals.
	m.HandleFunc("POST /cart", a.arrive)
	m.HandleFunc("GET /rendezvous/arrive", a.arrive)
	m.HandleFunc("GET /api/arrivals", a.arrivalsAPI)

	// Slow, failing and misbehaving endpoints.
	m.HandleFunc("GET /slow", a.slow)
	m.HandleFunc("GET /status/{code}", a.status)
	m.HandleFunc("GET /flaky", a.flaky)
	m.HandleFunc("GET /big", a.big)
	m.HandleFunc("GET /reset", a.reset)
	m.HandleFunc("POST /admin/stall", a.stall)
	m.HandleFunc("POST /admin/reset", a.adminReset)

	// Request and response plumbing (headers, query, bodies, redirects, cookies).
	m.HandleFunc("/echo", a.echo)
	m.HandleFunc("GET /headers", a.headers)
	m.HandleFunc("GET /redirect", a.redirect)
	m.HandleFunc("GET /redirect/{n}", a.redirectChain)
	m.HandleFunc("GET /cookies", a.cookies)
	m.HandleFunc("GET /cookies/set", a.setCookies)

	// Counters and the plain benchmark target.
	m.HandleFunc("GET /api/stats", a.statsAPI)
	m.HandleFunc("GET /json", serveJSONBench)
	return m
}
