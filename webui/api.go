package webui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/loadrun/loadrun/reports"
	htmlreport "github.com/loadrun/loadrun/reports/html"
	"github.com/loadrun/loadrun/stats"
)

// maxBody bounds what the API reads of a request body.
const maxBody = 64 << 10

// Limits of the start form: far above any real test on one machine, low
// enough that a typo cannot ask for a billion goroutines.
const (
	maxUsers     = 1_000_000
	maxSpawnRate = 1_000_000
)

// stateJSON is GET /api/state and the "state" part of each event.
type stateJSON struct {
	State       string    `json:"state"`
	Users       int       `json:"users"`
	TargetUsers int       `json:"target_users"`
	SpawnRate   float64   `json:"spawn_rate"`
	Host        string    `json:"host"`
	RunTime     string    `json:"run_time"`
	Reason      string    `json:"reason,omitempty"`
	Start       time.Time `json:"start,omitzero"`
	End         time.Time `json:"end,omitzero"`
	// ElapsedSeconds is how long the run has gone (or went).
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	// Title is the scenario's name; Defaults prefill the start form.
	Title    string      `json:"title"`
	Defaults paramsJSON  `json:"defaults"`
	Verdict  *verdictObj `json:"verdict,omitempty"`
	Version  string      `json:"version,omitempty"`
	// Distributed is true when the run has workers (the Workers tab).
	Distributed bool `json:"distributed"`
}

type paramsJSON struct {
	Users     int     `json:"users"`
	SpawnRate float64 `json:"spawn_rate"`
	Host      string  `json:"host"`
	RunTime   string  `json:"run_time"`
}

type verdictObj struct {
	Pass     bool   `json:"pass"`
	ExitCode int    `json:"exit_code"`
	Reason   string `json:"reason"`
}

func (s *Server) stateOf(st Status, run reports.Run) stateJSON {
	out := stateJSON{
		State: st.State, Users: st.Users, TargetUsers: st.TargetUsers, SpawnRate: finite(st.SpawnRate),
		Host: st.Host, RunTime: durationText(st.RunTime), Reason: st.Reason, Start: st.Start, End: st.End,
		Title: s.opts.Title, Version: s.opts.Version,
		Defaults: paramsJSON{Users: s.opts.Defaults.Users, SpawnRate: finite(s.opts.Defaults.SpawnRate),
			Host: s.opts.Defaults.Host, RunTime: durationText(s.opts.Defaults.RunTime)},
	}
	if out.Host == "" {
		out.Host = s.opts.Defaults.Host
	}
	if !st.Start.IsZero() {
		end := st.End
		if end.IsZero() {
			end = time.Now()
		}
		out.ElapsedSeconds = max(end.Sub(st.Start), 0).Seconds()
	}
	if st.State == StateStopped && (run.Verdict != reports.Verdict{}) {
		out.Verdict = &verdictObj{Pass: run.Verdict.Pass, ExitCode: run.Verdict.ExitCode, Reason: run.Verdict.Reason}
	}
	_, out.Distributed = s.ctrl.(Workers)
	return out
}

// durationText writes a duration as the form takes it back ("" for none).
func durationText(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return d.String()
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func (s *Server) state(w http.ResponseWriter, r *http.Request) {
	st, run, _ := s.report()
	writeJSON(w, http.StatusOK, s.stateOf(st, run))
}

// number is a JSON number, or a string holding one as a form sends it;
// an empty string is "not given".
type number string

// UnmarshalJSON keeps the number's text for the caller to parse and check.
func (n *number) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = number(s)
		return nil
	}
	if string(b) == "null" {
		*n = ""
		return nil
	}
	*n = number(b)
	return nil
}

// startRequest is the body of POST /api/start. Numbers are taken as JSON
// numbers or strings, as a form would send them.
type startRequest struct {
	Users     number `json:"users"`
	SpawnRate number `json:"spawn_rate"`
	Host      string `json:"host"`
	// RunTime absent takes the default (-t); empty means until stopped.
	RunTime *string `json:"run_time"`
}

func (s *Server) start(w http.ResponseWriter, r *http.Request) {
	var req startRequest
	if !readJSON(w, r, &req) {
		return
	}
	p, err := req.params(s.opts.Defaults)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.ctrl.Start(p); err != nil {
		s.controlError(w, err)
		return
	}
	s.fresh()
	writeJSON(w, http.StatusOK, s.stateOf(s.ctrl.Status(), reports.Run{}))
}

// params checks the form's values; an empty field takes the default.
func (req startRequest) params(def Params) (Params, error) {
	p := def
	var err error
	if req.Users != "" {
		if p.Users, err = parseUsers(req.Users); err != nil {
			return p, err
		}
	}
	if req.SpawnRate != "" {
		if p.SpawnRate, err = parseRate(req.SpawnRate); err != nil {
			return p, err
		}
	}
	if h := strings.TrimSpace(req.Host); h != "" {
		if err := checkHost(h); err != nil {
			return p, err
		}
		p.Host = h
	}
	if req.RunTime != nil {
		p.RunTime = 0
		if t := strings.TrimSpace(*req.RunTime); t != "" {
			if p.RunTime, err = parseRunTime(t); err != nil {
				return p, err
			}
		}
	}
	return p, nil
}

func parseUsers(n number) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(string(n)))
	if err != nil || v < 0 || v > maxUsers {
		return 0, fmt.Errorf("users must be a whole number from 0 to %d, not %q", maxUsers, string(n))
	}
	return v, nil
}

func parseRate(n number) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(string(n)), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > maxSpawnRate {
		return 0, fmt.Errorf("spawn_rate must be a number of users per second from 0 (all at once) to %d, not %q", maxSpawnRate, string(n))
	}
	return v, nil
}

// parseRunTime takes what -t takes: a Go duration ("90s", "1h30m") or a
// number of seconds.
func parseRunTime(t string) (time.Duration, error) {
	if secs, err := strconv.ParseFloat(t, 64); err == nil && secs >= 0 && secs < 1e9 {
		return time.Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("run_time must be a duration such as 30s, 5m or 1h30m (or empty: until stopped), not %q", t)
	}
	return d, nil
}

// checkHost accepts what -H accepts: an http or https base URL.
func checkHost(h string) error {
	u, err := url.Parse(h)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("host must be a base URL such as http://127.0.0.1:8080, not %q", h)
	}
	return nil
}

type usersRequest struct {
	Users     number `json:"users"`
	SpawnRate number `json:"spawn_rate"`
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	var req usersRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.Users == "" {
		apiError(w, http.StatusBadRequest, `users is required: {"users": 20, "spawn_rate": 10}`)
		return
	}
	users, err := parseUsers(req.Users)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	rate := s.ctrl.Status().SpawnRate
	if req.SpawnRate != "" {
		if rate, err = parseRate(req.SpawnRate); err != nil {
			apiError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if err := s.ctrl.SetUsers(users, rate); err != nil {
		s.controlError(w, err)
		return
	}
	s.fresh()
	writeJSON(w, http.StatusOK, s.stateOf(s.ctrl.Status(), reports.Run{}))
}

func (s *Server) stop(w http.ResponseWriter, r *http.Request) {
	s.ctrl.Stop()
	s.fresh()
	writeJSON(w, http.StatusOK, s.stateOf(s.ctrl.Status(), reports.Run{}))
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	if err := s.ctrl.Reset(); err != nil {
		s.controlError(w, err)
		return
	}
	s.fresh()
	writeJSON(w, http.StatusOK, s.stateOf(s.ctrl.Status(), reports.Run{}))
}

// controlError answers a refused run-control call: 409 when the run's
// state does not allow it, 400 otherwise (the input was wrong).
func (s *Server) controlError(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	if errors.Is(err, ErrBusy) || errors.Is(err, ErrNotRunning) {
		code = http.StatusConflict
	}
	apiError(w, code, err.Error())
}

// stats is the current snapshot in the JSON summary format of --json.
func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	_, run, snap := s.report()
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, run, orEmpty(snap)); err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// orEmpty stands in an empty snapshot before the first run.
func orEmpty(s *stats.Snapshot) *stats.Snapshot {
	if s == nil {
		now := time.Now()
		return &stats.Snapshot{Start: now, Time: now}
	}
	return s
}

// downloads are the report files, as the report flags write them.
var downloads = map[string]struct {
	contentType string
	write       func(io.Writer, reports.Run, *stats.Snapshot) error
}{
	"stats.csv":         {"text/csv; charset=utf-8", func(w io.Writer, _ reports.Run, s *stats.Snapshot) error { return reports.WriteStatsCSV(w, s) }},
	"stats_history.csv": {"text/csv; charset=utf-8", func(w io.Writer, _ reports.Run, s *stats.Snapshot) error { return reports.WriteHistoryCSV(w, s) }},
	"failures.csv":      {"text/csv; charset=utf-8", func(w io.Writer, _ reports.Run, s *stats.Snapshot) error { return reports.WriteFailuresCSV(w, s) }},
	"exceptions.csv":    {"text/csv; charset=utf-8", func(w io.Writer, _ reports.Run, _ *stats.Snapshot) error { return reports.WriteExceptionsCSV(w) }},
	"checks.csv":        {"text/csv; charset=utf-8", func(w io.Writer, _ reports.Run, s *stats.Snapshot) error { return reports.WriteChecksCSV(w, s) }},
	"report.html":       {"text/html; charset=utf-8", htmlreport.Write},
	"summary.json":      {"application/json", reports.WriteJSON},
	"junit.xml":         {"application/xml; charset=utf-8", reports.WriteJUnit},
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	d, ok := downloads[name]
	if !ok {
		apiError(w, http.StatusNotFound, fmt.Sprintf("no such download %q: stats.csv, stats_history.csv, failures.csv, exceptions.csv, checks.csv, report.html, summary.json or junit.xml", name))
		return
	}
	_, run, snap := s.report()
	var buf bytes.Buffer
	if err := d.write(&buf, run, orEmpty(snap)); err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", d.contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="loadrun_`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// readJSON decodes a small JSON body into v; an empty body is an empty
// object. It answers 400 itself and returns false when the body is bad.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		apiError(w, http.StatusBadRequest, "request body too large or unreadable: "+err.Error())
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, "the body must be a JSON object such as {\"users\": 10, \"spawn_rate\": 5}: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// apiError answers {"error": "..."} with code.
func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
