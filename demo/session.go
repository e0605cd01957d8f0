package demo

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
)

// sessionCookie is the cookie that carries a session id.
const sessionCookie = "session"

// defaultAccounts are the built-in logins: user1/pass1 … user100/pass100 (a
// pool of distinct accounts for unique-recycle tests), demo/demo and
// test/123456.
func defaultAccounts() map[string]string {
	m := make(map[string]string, 101)
	for i := 1; i <= 100; i++ {
		m[fmt.Sprintf("user%d", i)] = fmt.Sprintf("pass%d", i)
	}
	m["demo"] = "demo"
	// The classic Locust example logs in as test/123456 (every user the
	// same account, so each login after the first counts as concurrent).
	m["test"] = "123456"
	return m
}

// users holds registered accounts. Lookups at login are lock-free; the mutex
// only serialises registrations, so a name can be taken exactly once.
type users struct {
	byName sync.Map // name → password
	mu     sync.Mutex
	names  []string // registration order, for /api/registrations
	max    int
	// refused counts registrations turned away because the bound was reached.
	refused atomic.Int64
}

func (u *users) init(max int) { u.max = max }

func (u *users) reset() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.byName.Clear()
	u.names = nil
	u.refused.Store(0)
}

// registerResult says how a registration went.
type registerResult int

const (
	registered registerResult = iota
	nameTaken
	registryFull
)

// add registers name unless a built-in or registered account has it or the
// registry is full.
func (u *users) add(builtin map[string]string, name, password string) registerResult {
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := builtin[name]; ok {
		return nameTaken
	}
	if _, ok := u.byName.Load(name); ok {
		return nameTaken
	}
	if len(u.names) >= u.max {
		u.refused.Add(1)
		return registryFull
	}
	u.byName.Store(name, password)
	u.names = append(u.names, name)
	return registered
}

func (u *users) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.names)
}

func (u *users) list() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.names...)
}

// session is one logged-in client. Its fields never change after creation.
type session struct {
	id   string
	user string
	csrf string
}

// sessions tracks live sessions per account, which is what lets a test of a
// unique-recycle pool prove no account was ever held by two users at once.
// Lookups (every protected request) are lock-free; login, logout and
// eviction take mu.
type sessions struct {
	byID sync.Map // id → *session, live sessions only

	mu   sync.Mutex
	live map[string]int // user → live sessions
	// ring holds sessions in creation order; creating one drops the session
	// created len(ring) logins earlier if it is still live (bounded memory).
	ring       []*session
	next       int
	violations map[string]int64 // user → concurrent-session violations
	maxLive    int              // most live sessions any one account ever had

	logins, failures, logouts, evicted, violationsTotal atomic.Int64
}

func (s *sessions) init(max int) {
	s.ring = make([]*session, max)
	s.live = map[string]int{}
	s.violations = map[string]int64{}
}

func (s *sessions) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID.Clear()
	clear(s.ring)
	s.next = 0
	s.live = map[string]int{}
	s.violations = map[string]int64{}
	s.maxLive = 0
	for _, c := range []*atomic.Int64{&s.logins, &s.failures, &s.logouts, &s.evicted, &s.violationsTotal} {
		c.Store(0)
	}
}

// get returns the live session whose id is in the request's cookie, or nil.
func (s *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	v, ok := s.byID.Load(c.Value)
	if !ok {
		return nil
	}
	return v.(*session)
}

// login starts a session for user. A client that logs in again to the
// account it already holds keeps its session. Any other live session of the
// account belongs to another client (or to this one under an old cookie it
// never logged out), so the new session is a concurrent-session violation.
func (s *sessions) login(user string, current *session) *session {
	s.logins.Add(1)
	if current != nil && current.user == user {
		return current
	}
	ns := &session{id: rand.Text(), user: user, csrf: rand.Text()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.ring[s.next]; old != nil {
		if _, ok := s.byID.LoadAndDelete(old.id); ok {
			s.live[old.user]--
			s.evicted.Add(1)
		}
	}
	s.ring[s.next] = ns
	s.next = (s.next + 1) % len(s.ring)
	if s.live[user] > 0 {
		s.violations[user]++
		s.violationsTotal.Add(1)
	}
	s.live[user]++
	s.maxLive = max(s.maxLive, s.live[user])
	s.byID.Store(ns.id, ns)
	return ns
}

// logout ends the session; it reports false when it was not live.
func (s *sessions) logout(ss *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID.LoadAndDelete(ss.id); !ok {
		return false
	}
	if s.live[ss.user]--; s.live[ss.user] == 0 {
		delete(s.live, ss.user) // keep the map as small as the live set
	}
	s.logouts.Add(1)
	return true
}

// validCSRF reports whether the request carries the session's CSRF token in
// the X-CSRF-Token header or in the given form/JSON field value.
func validCSRF(ss *session, r *http.Request, field string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = field
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(ss.csrf)) == 1
}

// credentials are what /login and /register read, from a form or JSON.
type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// password returns the password of a built-in or registered account.
func (a *App) password(user string) (string, bool) {
	if pw, ok := a.accounts[user]; ok {
		return pw, true
	}
	if pw, ok := a.users.byName.Load(user); ok {
		return pw.(string), true
	}
	return "", false
}

// login checks the credentials and starts a session. It answers JSON to a
// JSON request and an HTML page (with the CSRF token in a hidden field) to a
// form post.
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	var c credentials
	asJSON, err := readBody(w, r, &c)
	if err != nil {
		httpError(w, asJSON, http.StatusBadRequest, err.Error())
		return
	}
	if !asJSON {
		c.Username, c.Password = r.PostFormValue("username"), r.PostFormValue("password")
	}
	pw, ok := a.password(c.Username)
	if !ok || c.Username == "" || subtle.ConstantTimeCompare([]byte(pw), []byte(c.Password)) != 1 {
		a.sessions.failures.Add(1)
		if asJSON {
			writeJSON(w, http.StatusUnauthorized, errorBody{"wrong username or password"})
			return
		}
		renderPage(w, http.StatusUnauthorized, loginTmpl, loginData{CSRF: rand.Text(), Error: "Wrong username or password."})
		return
	}
	ss := a.sessions.login(c.Username, a.sessions.get(r))
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: ss.id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if asJSON {
		writeJSON(w, http.StatusOK, profileBody{Data: profileData{Username: ss.user, Token: ss.csrf}})
		return
	}
	renderPage(w, http.StatusOK, welcomeTmpl, loginData{User: ss.user, CSRF: ss.csrf})
}

// loginForm shows the form. The CSRF field holds the session's token when
// the client is logged in and a fresh (unchecked) token otherwise, so an
// extractor finds it either way.
func (a *App) loginForm(w http.ResponseWriter, r *http.Request) {
	d := loginData{CSRF: rand.Text()}
	if ss := a.sessions.get(r); ss != nil {
		d.CSRF, d.User = ss.csrf, ss.user
	}
	renderPage(w, http.StatusOK, loginTmpl, d)
}

// logout ends the client's session and clears its cookie. It succeeds with
// or without a live session so a scenario's on_stop can always call it.
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	ended := false
	if ss := a.sessions.get(r); ss != nil {
		ended = a.sessions.logout(ss)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	writeJSON(w, http.StatusOK, struct {
		LoggedOut bool `json:"logged_out"`
	}{ended})
}

// register creates an account: 201, or 409 when the name is taken so that a
// unique-once pool that hands a row out twice shows up as failures.
func (a *App) register(w http.ResponseWriter, r *http.Request) {
	var c credentials
	asJSON, err := readBody(w, r, &c)
	if err != nil {
		httpError(w, asJSON, http.StatusBadRequest, err.Error())
		return
	}
	if !asJSON {
		c.Username, c.Password = r.PostFormValue("username"), r.PostFormValue("password")
	}
	if c.Username == "" || c.Password == "" {
		httpError(w, asJSON, http.StatusBadRequest, "username and password are required")
		return
	}
	switch a.users.add(a.accounts, c.Username, c.Password) {
	case nameTaken:
		httpError(w, asJSON, http.StatusConflict, fmt.Sprintf("username %q is already registered", c.Username))
	case registryFull:
		httpError(w, asJSON, http.StatusInsufficientStorage,
			fmt.Sprintf("the demo keeps at most %d registrations; POST /admin/reset to start over", a.users.max))
	default:
		writeJSON(w, http.StatusCreated, struct {
			Username string `json:"username"`
			Status   string `json:"status"`
		}{c.Username, "registered"})
	}
}

// registrations lists registered usernames in registration order.
func (a *App) registrations(w http.ResponseWriter, r *http.Request) {
	names := a.users.list()
	writeJSON(w, http.StatusOK, struct {
		Count         int      `json:"count"`
		Registrations []string `json:"registrations"`
	}{len(names), names})
}

// profileBody is the JSON of /api/profile and of a JSON login. Token is the
// session's CSRF token, for `X-CSRF-Token` on /api/orders.
type profileBody struct {
	Data profileData `json:"data"`
}

type profileData struct {
	Username string `json:"username"`
	Token    string `json:"token"`
}

// profile needs a session.
func (a *App) profile(w http.ResponseWriter, r *http.Request) {
	ss := a.sessions.get(r)
	if ss == nil {
		writeJSON(w, http.StatusUnauthorized, errorBody{"not logged in"})
		return
	}
	writeJSON(w, http.StatusOK, profileBody{Data: profileData{Username: ss.user, Token: ss.csrf}})
}

// account is the HTML account page; it needs a session.
func (a *App) account(w http.ResponseWriter, r *http.Request) {
	ss := a.sessions.get(r)
	if ss == nil {
		renderPage(w, http.StatusUnauthorized, loginTmpl, loginData{CSRF: rand.Text(), Error: "Please log in."})
		return
	}
	renderPage(w, http.StatusOK, accountTmpl, loginData{User: ss.user, CSRF: ss.csrf})
}
