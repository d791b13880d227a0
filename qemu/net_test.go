package qemu

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseForward(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Forward
		rule string
	}{
		{"8080:80", Forward{HostPort: 8080, GuestPort: 80}, "hostfwd=tcp::8080-:80"},
		{"127.0.0.1:8080:80/tcp", Forward{HostAddr: "127.0.0.1", HostPort: 8080, GuestPort: 80}, "hostfwd=tcp:127.0.0.1:8080-:80"},
		{"5353:53/udp", Forward{UDP: true, HostPort: 5353, GuestPort: 53}, "hostfwd=udp::5353-:53"},
	} {
		got, err := ParseForward(c.in)
		if err != nil || got != c.want || got.hostfwd() != c.rule {
			t.Errorf("ParseForward(%q) = %+v (%s), %v; want %+v (%s)", c.in, got, got.hostfwd(), err, c.want, c.rule)
		}
	}
	for _, bad := range []string{"80", "0:80", "8080:65536", "x:80", "8080:80/sctp", "host:8080:80", "[::1]:8080:80", "::1:8080:80"} {
		if _, err := ParseForward(bad); err == nil {
			t.Errorf("ParseForward(%q) succeeded", bad)
		}
	}
	a := strings.Join(Args(&Config{Kernel: "k", Net: &Net{Forwards: []Forward{{HostPort: 1, GuestPort: 2}, {UDP: true, HostPort: 3, GuestPort: 4}}}}, "s"), " ")
	if want := "-netdev user,id=n0,hostfwd=tcp::1-:2,hostfwd=udp::3-:4 -global virtio-mmio.force-legacy=false -device virtio-net-device,netdev=n0"; !strings.Contains(a, want) {
		t.Errorf("Args: %s\nwant %s", a, want)
	}
}

// freePort returns a TCP port free on the host's loopback (for a moment:
// QEMU binds it next).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// lineWatch is a console writer that closes seen when the output
// contains want.
type lineWatch struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen != nil {
		w.buf.Write(p)
		if bytes.Contains(w.buf.Bytes(), []byte(w.want)) {
			close(w.seen)
			w.seen = nil
		}
	}
	return len(p), nil
}

// TestNetHTTP is the host-access acceptance test: a static Go net/http
// server (user/go/httpd) runs in oyako on eth0 with a host port forwarded
// to it (QEMU's user network), and a Go HTTP client on the host fetches
// pages through the forward: a greeting that shows the client's address
// and the guest's resolution of localhost, then 8 MiB each way, then a
// page the guest's server fetches from a server on the host, over IPv4
// and IPv6, then /quit, after which the server exits and the machine
// powers off with status 0.
func TestNetHTTP(t *testing.T) {
	kernel := kernelImage(t)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	prog, err := BuildUserGo(root, t.TempDir(), "httpd")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	const guestPort = 8080
	c, remove, err := ProgramBoot(Config{
		Kernel:  kernel,
		Timeout: 3 * time.Minute,
		Net:     &Net{Forwards: []Forward{{HostAddr: "127.0.0.1", HostPort: port, GuestPort: guestPort}}},
	}, prog, "", []string{"quiet"}, []string{fmt.Sprint(guestPort)})
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	watch := &lineWatch{want: "httpd: listening", seen: make(chan struct{})}
	seen := watch.seen
	c.Console = watch

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type outcome struct {
		res *Result
		err error
	}
	ran := make(chan outcome, 1)
	go func() {
		res, err := Run(ctx, c)
		ran <- outcome{res, err}
	}()
	// fail kills QEMU and reports the console's tail.
	fail := func(format string, args ...any) {
		t.Helper()
		cancel()
		o := <-ran
		tail := ""
		if o.res != nil {
			tail = Tail(o.res.Serial, 30)
		}
		t.Fatalf("%s\nQEMU: %v\nlast serial output:\n%s", fmt.Sprintf(format, args...), o.err, tail)
	}
	select {
	case <-seen:
	case o := <-ran:
		ran <- o
		fail("the guest ended before its server listened")
	case <-time.After(2 * time.Minute):
		fail("the server did not start listening in 2 minutes")
	}

	client := &http.Client{Timeout: 60 * time.Second}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	get := func(path string) ([]byte, error) {
		resp, err := client.Get(base + path)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: %s", path, resp.Status)
		}
		return body, err
	}
	body, err := get("/hello")
	if err != nil {
		fail("GET /hello: %v", err)
	}
	if want := "hello from oyako\nGET /hello\nclient 10.0.2.2\nlocalhost 127.0.0.1 ::1\n"; string(body) != want {
		fail("GET /hello: body %q, want %q", body, want)
	}
	const size = 8 << 20
	start := time.Now()
	body, err = get(fmt.Sprintf("/data?n=%d", size))
	elapsed := time.Since(start)
	if err != nil {
		fail("GET /data: %v", err)
	}
	if len(body) != size {
		fail("GET /data: %d bytes, want %d", len(body), size)
	}
	for i, b := range body {
		if b != byte(i%251) {
			fail("GET /data: byte %d is %d, want %d", i, b, i%251)
		}
	}
	// And 8 MiB to the guest.
	upload := make([]byte, size)
	for i := range upload {
		upload[i] = byte(i % 251)
	}
	start = time.Now()
	resp, err := client.Post(base+"/sink", "application/octet-stream", bytes.NewReader(upload))
	if err != nil {
		fail("POST /sink: %v", err)
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	upElapsed := time.Since(start)
	if want := fmt.Sprintf("%d bytes, pattern true\n", size); err != nil || string(body) != want {
		fail("POST /sink: %q, %v; want %q", body, err, want)
	}
	// A connection out of the guest: its server fetches from one here.
	hostSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "host saw %s", r.URL.Path)
	})}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("%v", err)
	}
	go hostSrv.Serve(hl)
	defer hostSrv.Close()
	body, err = get(fmt.Sprintf("/fetch?url=http://10.0.2.2:%d/from-guest", hl.Addr().(*net.TCPAddr).Port))
	if want := "200 OK: host saw /from-guest"; err != nil || string(body) != want {
		fail("GET /fetch: %q, %v; want %q", body, err, want)
	}
	// The same over IPv6: the guest's address and routes come from
	// QEMU's router advertisements, and fec0::2 is the host's ::1.
	if hl6, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Logf("no IPv6 check: %v", err)
	} else {
		go hostSrv.Serve(hl6)
		url := fmt.Sprintf("/fetch?url=http://[fec0::2]:%d/v6", hl6.Addr().(*net.TCPAddr).Port)
		// Router solicitation waits up to a second after the
		// interface comes up.
		for i := 0; ; i++ {
			body, err = get(url)
			if want := "200 OK: host saw /v6"; err == nil && string(body) == want {
				break
			} else if i == 20 {
				fail("GET %s: %q, %v; want %q", url, body, err, want)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	t.Logf("8 MiB from the guest in %v (%.1f MiB/s), to the guest in %v (%.1f MiB/s)", elapsed.Round(time.Millisecond), size/(1<<20)/elapsed.Seconds(),
		upElapsed.Round(time.Millisecond), size/(1<<20)/upElapsed.Seconds())
	if body, err = get("/quit"); err != nil || string(body) != "bye\n" {
		fail("GET /quit: %q, %v", body, err)
	}
	select {
	case o := <-ran:
		if o.err != nil {
			ran <- o
			fail("after /quit: %v", o.err)
		}
		if o.res.Status != 0 {
			t.Fatalf("exit status %d; last serial output:\n%s", o.res.Status, Tail(o.res.Serial, 30))
		}
	case <-time.After(time.Minute):
		fail("the guest did not power off after /quit")
	}
}
