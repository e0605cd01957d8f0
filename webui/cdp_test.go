//go:build unix

package webui

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// A small client of Chromium's DevTools protocol: enough to load a page,
// run script in it, wait for conditions and take screenshots. Chromium
// runs headless in its own process group, killed with the test.

// browser is one headless Chromium with one page.
type browser struct {
	t    testing.TB
	cmd  *exec.Cmd
	ws   *websocket.Conn
	next int

	mu      sync.Mutex
	waiting map[int]chan cdpMessage
	errors  []string // uncaught exceptions and console errors of the page
	dead    chan struct{}
}

type cdpMessage struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// findChromium returns the browser's path, or skips the test when it is
// not installed and the environment does not require it (CI sets
// LOADRUN_REQUIRE_BROWSER: a missing browser is then a failure).
func findChromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("LOADRUN_REQUIRE_BROWSER") != "" {
		t.Fatal("chromium is not installed and LOADRUN_REQUIRE_BROWSER is set: run .ci/install-chromium.sh")
	}
	t.Skip("chromium is not installed (run .ci/install-chromium.sh, or set LOADRUN_REQUIRE_BROWSER to make this a failure)")
	return ""
}

var devtoolsLine = regexp.MustCompile(`DevTools listening on (ws://[^\s]+)`)

// startBrowser launches headless Chromium with a window of width × height
// and connects to its first page.
func startBrowser(t testing.TB, width, height int) *browser {
	t.Helper()
	bin := findChromium(t)
	profile := t.TempDir()
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--hide-scrollbars", "--mute-audio", "--remote-debugging-port=0", "--remote-allow-origins=*",
		fmt.Sprintf("--window-size=%d,%d", width, height), "--user-data-dir="+profile, "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, cmd: cmd, waiting: map[int]chan cdpMessage{}, dead: make(chan struct{})}
	t.Cleanup(b.close)

	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := devtoolsLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	var browserURL string
	select {
	case browserURL = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("chromium did not start its DevTools endpoint within 30 s")
	}
	b.connect(pageURL(t, browserURL))
	b.call("Runtime.enable", nil)
	b.call("Page.enable", nil)
	return b
}

// pageURL finds the DevTools address of the browser's first page.
func pageURL(t testing.TB, browserURL string) string {
	t.Helper()
	host := strings.TrimPrefix(browserURL, "ws://")
	host = host[:strings.Index(host, "/")]
	var targets []struct {
		Type string `json:"type"`
		URL  string `json:"webSocketDebuggerUrl"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + host + "/json/list"); err == nil {
			if err := json.NewDecoder(res.Body).Decode(&targets); err != nil {
				targets = nil
			}
			res.Body.Close()
		}
		for _, tg := range targets {
			if tg.Type == "page" {
				return tg.URL
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("chromium has no page target")
	return ""
}

func (b *browser) connect(url string) {
	cfg, err := websocket.NewConfig(url, "http://127.0.0.1/")
	if err != nil {
		b.t.Fatal(err)
	}
	cfg.Dialer = nil
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		b.t.Fatalf("connecting to chromium: %v", err)
	}
	ws.MaxPayloadBytes = 64 << 20
	b.ws = ws
	go b.read()
}

// read dispatches answers to their callers and keeps the page's errors.
func (b *browser) read() {
	defer close(b.dead)
	for {
		var m cdpMessage
		if err := websocket.JSON.Receive(b.ws, &m); err != nil {
			return
		}
		b.mu.Lock()
		if ch, ok := b.waiting[m.ID]; ok && m.ID != 0 {
			delete(b.waiting, m.ID)
			ch <- m
		}
		switch m.Method {
		case "Runtime.exceptionThrown":
			var p struct {
				Details struct {
					Exception struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			}
			_ = json.Unmarshal(m.Params, &p)
			b.errors = append(b.errors, p.Details.Exception.Description)
		case "Runtime.consoleAPICalled":
			var p struct {
				Type string `json:"type"`
			}
			if json.Unmarshal(m.Params, &p) == nil && p.Type == "error" {
				b.errors = append(b.errors, string(m.Params))
			}
		}
		b.mu.Unlock()
	}
}

// call sends one command and returns its result, failing the test on an error.
func (b *browser) call(method string, params any) json.RawMessage {
	b.t.Helper()
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpMessage, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if err := websocket.JSON.Send(b.ws, msg); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			b.t.Fatalf("%s: %s", method, m.Error.Message)
		}
		return m.Result
	case <-b.dead:
		b.t.Fatalf("%s: chromium went away", method)
	case <-time.After(30 * time.Second):
		b.t.Fatalf("%s: no answer from chromium within 30 s", method)
	}
	return nil
}

// eval runs a JavaScript expression in the page (awaiting a promise) and
// decodes its value into out (when not nil).
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	res := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		b.t.Fatal(err)
	}
	if r.Exception != nil {
		b.t.Fatalf("script %q threw: %s %s", expr, r.Exception.Text, r.Exception.Exception.Description)
	}
	if out != nil {
		if err := json.Unmarshal(r.Result.Value, out); err != nil {
			b.t.Fatalf("script %q: %v (value %s)", expr, err, r.Result.Value)
		}
	}
}

// waitFor polls a JavaScript condition until it is true, failing the test
// with what after d.
func (b *browser) waitFor(what, cond string, d time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for {
		var ok bool
		b.eval("!!("+cond+")", &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var body string
			b.eval("document.body ? document.body.innerText.slice(0, 2000) : ''", &body)
			b.t.Fatalf("waited %v for %s; page errors: %v; the page shows:\n%s", d, what, b.pageErrors(), body)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// navigate loads url and waits for the page's load event.
func (b *browser) navigate(url string) {
	b.t.Helper()
	b.call("Page.navigate", map[string]any{"url": url})
	b.waitFor("the page to load", `document.readyState === "complete" && location.href.startsWith(`+jsString(url)+`)`, 30*time.Second)
}

// screenshot saves a PNG of the whole page.
func (b *browser) screenshot(path string) {
	b.t.Helper()
	res := b.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
	var r struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		b.t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// pageErrors are the page's uncaught exceptions and console errors so far.
func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

func (b *browser) close() {
	if b.ws != nil {
		b.ws.Close()
	}
	if b.cmd.Process != nil {
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		_ = b.cmd.Wait()
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
