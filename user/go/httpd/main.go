// Command httpd is a static net/http server for the host-access test
// (qemu/net_test.go, TestNetHTTP): run in oyako with a host port
// forwarded to its port, it is fetched from the host.
//
//	httpd [PORT]   (default 80)
//
// It prints "httpd: listening on :PORT" once it accepts connections. GET
// /hello answers with the request line, the client's address as the
// server sees it (QEMU's user network connects from 10.0.2.2) and what
// "localhost" resolves to (/etc/hosts); GET /data?n=N answers N bytes of
// the pattern byte i = i%251; POST /sink reads the body and answers with
// its length and whether it was that pattern; GET /fetch?url=URL answers with what its
// own HTTP client got from URL (a connection out of the guest: QEMU's
// user network reaches the host's loopback as 10.0.2.2); GET /quit
// answers, then the server shuts down and the program exits 0.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	port := "80"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	l, err := net.Listen("tcp", ":"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpd:", err)
		os.Exit(1)
	}
	quit := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		addrs, err := net.LookupHost("localhost")
		lookup := strings.Join(addrs, " ")
		if err != nil {
			lookup = err.Error()
		}
		fmt.Fprintf(w, "hello from oyako\n%s %s\nclient %s\nlocalhost %s\n", r.Method, r.URL.Path, host, lookup)
	})
	mux.HandleFunc("GET /data", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 {
			http.Error(w, "want n=BYTES", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		buf := make([]byte, 251*256)
		for i := range buf {
			buf[i] = byte(i % 251)
		}
		for n > 0 {
			k := min(n, len(buf))
			if _, err := w.Write(buf[:k]); err != nil {
				return
			}
			n -= k
		}
	})
	mux.HandleFunc("POST /sink", func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		n, pattern := 0, true
		for {
			k, err := r.Body.Read(buf)
			for i, b := range buf[:k] {
				pattern = pattern && b == byte((n+i)%251)
			}
			n += k
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		fmt.Fprintf(w, "%d bytes, pattern %v\n", n, pattern)
	})
	mux.HandleFunc("GET /fetch", func(w http.ResponseWriter, r *http.Request) {
		client := &http.Client{Timeout: 30 * time.Second}
		resp, err := client.Get(r.URL.Query().Get("url"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		fmt.Fprintf(w, "%s: ", resp.Status)
		io.Copy(w, resp.Body)
	})
	mux.HandleFunc("GET /quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "bye")
		close(quit)
	})
	srv := &http.Server{Handler: mux}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	fmt.Printf("httpd: listening on :%s\n", port)
	select {
	case <-quit:
		// Shutdown lets the /quit answer go out first.
		if err := srv.Shutdown(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "httpd: shutdown:", err)
			os.Exit(1)
		}
		fmt.Println("httpd: done")
	case err := <-done:
		fmt.Fprintln(os.Stderr, "httpd:", err)
		os.Exit(1)
	}
}
