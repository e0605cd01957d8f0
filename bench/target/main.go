// Command target is the side-by-side benchmark's target: a stdlib HTTP
// server that answers fast and small, so the generators, not the target,
// are what the benchmark measures.
//
//	GET  /           the ~60-byte JSON document every tool fetches
//	POST /login      {"token": ...} for the scenario workload's on_start
//	GET  /items/{id} the document again, with an X-Request-Id header
//
// It listens on -addr (127.0.0.1:0 picks a free port), prints its base URL
// on stdout once it accepts connections, and serves until killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
)

// doc is the document of the plain workload, 62 bytes.
const doc = `{"id":42,"name":"teapot","price":9.5,"tags":["kitchen","tea"]}`

const token = `{"token":"tok-3f9a2c","user":"bench"}`

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintln(os.Stderr, "target: -addr must be a loopback address such as 127.0.0.1:0")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, handler()))
}

func handler() http.Handler {
	docBytes, tokenBytes := []byte(doc), []byte(token)
	docLen, tokenLen := strconv.Itoa(len(doc)), strconv.Itoa(len(token))
	var reqID atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{docLen}
		w.Write(docBytes)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{tokenLen}
		w.Write(tokenBytes)
	})
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{docLen}
		h["X-Request-Id"] = []string{"r-" + strconv.FormatInt(reqID.Add(1), 10)}
		w.Write(docBytes)
	})
	return mux
}
