package unix

import (
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/socket"
)

// ctx is a caller that never blocks for long: Block waits for the
// channel (the tests only block where a wake-up is due).
type ctx struct{ pid int32 }

func (ctx) Block(ready <-chan struct{}) error { <-ready; return nil }
func (ctx) CopyIn(uintptr, []byte) error      { return nil }
func (ctx) CopyOut(uintptr, []byte) error     { return nil }
func (c ctx) PID() int32                      { return c.pid }

func pair(t *testing.T, typ int) (*fs.File, *fs.File, *Sock, *Sock) {
	t.Helper()
	fa, fb, err := Pair(ctx{1}, typ, 0, fs.O_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	return fa, fb, fa.Ops().(*Sock), fb.Ops().(*Sock)
}

func abstract(name string) []byte { return append([]byte{socket.AF_UNIX, 0, 0}, name...) }

func TestStreamPairAndClose(t *testing.T) {
	fa, fb, a, b := pair(t, socket.SOCK_STREAM)
	defer fb.DecRef()
	if n, err := a.Write(ctx{1}, fa, []byte("hello"), 0); n != 5 || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	if r := b.Readiness(fb, fs.EventIn|fs.EventOut); r != fs.EventIn|fs.EventOut {
		t.Fatalf("readiness %#x", r)
	}
	buf := make([]byte, 3)
	if n, _ := b.Read(ctx{1}, fb, buf, 0); n != 3 || string(buf) != "hel" {
		t.Fatalf("read %q", buf[:n])
	}
	fa.DecRef()
	// The peer's own unread data stays readable, then EOF.
	if n, _ := b.Read(ctx{1}, fb, buf, 0); n != 2 {
		t.Fatalf("read after close: %d", n)
	}
	if n, err := b.Read(ctx{1}, fb, buf, 0); n != 0 || err != nil {
		t.Fatalf("EOF: %d %v", n, err)
	}
	if _, err := b.Write(ctx{1}, fb, []byte("x"), 0); err != linuxerr.EPIPE {
		t.Fatalf("write to closed peer: %v", err)
	}
	if r := b.Readiness(fb, 0xffff); r&fs.EventHup == 0 || r&fs.EventRdHup == 0 {
		t.Fatalf("readiness after close %#x", r)
	}
}

func TestCloseWithUnreadDataResetsPeer(t *testing.T) {
	fa, fb, a, b := pair(t, socket.SOCK_STREAM)
	defer fb.DecRef()
	b.Write(ctx{1}, fb, []byte("unread"), 0)
	_ = a
	fa.DecRef()
	if _, err := b.Read(ctx{1}, fb, make([]byte, 4), 0); err != linuxerr.ECONNRESET {
		t.Fatalf("read: %v, want ECONNRESET", err)
	}
	if n, err := b.Read(ctx{1}, fb, make([]byte, 4), 0); n != 0 || err != nil {
		t.Fatalf("then EOF: %d %v", n, err)
	}
}

func TestListenConnectAccept(t *testing.T) {
	c := ctx{1}
	lf, _ := Create(c, socket.SOCK_STREAM, 0, fs.O_NONBLOCK)
	defer lf.DecRef()
	l := lf.Ops().(*Sock)
	if err := l.Listen(c, 1); err != linuxerr.EINVAL {
		t.Fatalf("listen unbound: %v", err)
	}
	if err := l.Bind(c, nil, abstract("srv")); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(c, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(c, lf, 0); err != linuxerr.EAGAIN {
		t.Fatalf("accept on empty: %v", err)
	}
	// backlog 1 takes two (unix_recvq_full is "more than"), then EAGAIN.
	var clients []*fs.File
	for i := range 3 {
		cf, _ := Create(c, socket.SOCK_STREAM, 0, fs.O_NONBLOCK)
		clients = append(clients, cf)
		err := cf.Ops().(*Sock).Connect(c, cf, nil, abstract("srv"))
		if want := error(nil); i == 2 {
			if err != linuxerr.EAGAIN {
				t.Fatalf("connect %d: %v, want EAGAIN", i, err)
			}
		} else if err != want {
			t.Fatalf("connect %d: %v", i, err)
		}
	}
	defer func() {
		for _, cf := range clients {
			cf.DecRef()
		}
	}()
	// A client may write before it is accepted.
	cl := clients[0].Ops().(*Sock)
	cl.Write(c, clients[0], []byte("early"), 0)
	if r := l.Readiness(lf, fs.EventIn); r != fs.EventIn {
		t.Fatalf("listener readiness %#x", r)
	}
	af, err := l.Accept(c, lf, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer af.DecRef()
	buf := make([]byte, 10)
	if n, _ := af.Ops().(*Sock).Read(c, af, buf, 0); string(buf[:n]) != "early" {
		t.Fatalf("accepted read %q", buf[:n])
	}
	if name := af.Ops().(*Sock).SockName(); string(name) != string(abstract("srv")) {
		t.Fatalf("accepted sockname %q", name)
	}
	if err := cl.Connect(c, clients[0], nil, abstract("srv")); err != linuxerr.EISCONN {
		t.Fatalf("connect again: %v", err)
	}
	if err := cl.Connect(c, clients[0], nil, abstract("nobody")); err != linuxerr.ECONNREFUSED {
		t.Fatalf("connect to nobody: %v", err)
	}
}

func TestDatagramQueueLimit(t *testing.T) {
	c := ctx{1}
	rf, _ := Create(c, socket.SOCK_DGRAM, 0, 0)
	defer rf.DecRef()
	r := rf.Ops().(*Sock)
	r.Bind(c, nil, abstract("dg"))
	sf, _ := Create(c, socket.SOCK_DGRAM, 0, fs.O_NONBLOCK)
	defer sf.DecRef()
	s := sf.Ops().(*Sock)
	sent := 0
	for {
		_, err := s.Send(c, sf, nil, &socket.SendMsg{Data: socket.Bytes("m"), Addr: abstract("dg")})
		if err == linuxerr.EAGAIN {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sent++
	}
	if sent != maxDgramQlen+1 {
		t.Fatalf("queued %d datagrams, want %d", sent, maxDgramQlen+1)
	}
	var out socket.RecvMsg
	if n, err := r.Recv(c, rf, make([]byte, 0), 0, &out); n != 0 || err != nil || out.Flags&socket.MSG_TRUNC == 0 {
		t.Fatalf("recv into nothing: %d %v %#x", n, err, out.Flags)
	}
	if out.Addr != nil {
		t.Fatalf("unbound sender's address %q", out.Addr)
	}
	if _, err := s.Send(c, sf, nil, &socket.SendMsg{Data: socket.Bytes(make([]byte, socket.WmemDefault)), Addr: abstract("dg")}); err != linuxerr.EMSGSIZE {
		t.Fatalf("huge datagram: %v", err)
	}
}

func TestRightsAndCollector(t *testing.T) {
	// Each end of a pair sent over the other and then closed is kept
	// only by a message: the collector frees both.
	fa, fb, a, b := pair(t, socket.SOCK_STREAM)
	if _, err := a.Send(ctx{1}, fa, nil, &socket.SendMsg{Data: socket.Bytes("x"), Files: []*fs.File{fb}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Send(ctx{1}, fb, nil, &socket.SendMsg{Data: socket.Bytes("y"), Files: []*fs.File{fa}}); err != nil {
		t.Fatal(err)
	}
	before := fs.OpenFiles()
	fa.DecRef()
	fb.DecRef()
	// As in Linux, the collector runs when a socket is released.
	other, _ := Create(ctx{1}, socket.SOCK_DGRAM, 0, 0)
	other.DecRef()
	if got := fs.OpenFiles(); got != before-2 {
		t.Fatalf("open files %d -> %d: the cycle was not collected", before, got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(inflight) != 0 {
		t.Fatalf("in flight: %d", len(inflight))
	}
}
