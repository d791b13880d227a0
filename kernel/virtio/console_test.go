package virtio

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"testing"
	"time"
)

// rig is a console driver on a fake device, with a goroutine standing for
// the kernel's interrupt path.
type rig struct {
	t    *testing.T
	dev  *fakeDev
	con  *Console
	stop chan struct{}
}

func newRig(t *testing.T, devPorts []uint32, ports ...PortConfig) *rig {
	t.Helper()
	mem := newFakeMem(1024)
	dev := newFakeDev(mem, devPorts...)
	tr, err := Probe(dev)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, dev: dev, stop: make(chan struct{})}
	go dev.hostLoop(r.stop)
	// The interrupt path: acknowledge, then let the driver look.
	started := make(chan struct{})
	go func() {
		<-started
		for {
			select {
			case <-r.stop:
				return
			case <-dev.irq:
			}
			tr.AckInterrupt()
			r.con.Interrupt()
		}
	}()
	con, err := NewConsole(tr, mem, ports)
	if err != nil {
		t.Fatal(err)
	}
	r.con = con
	close(started)
	con.Interrupt() // what arrived before the interrupt path ran
	t.Cleanup(func() {
		close(r.stop)
		dev.mu.Lock()
		dev.cond.Broadcast()
		dev.mu.Unlock()
	})
	return r
}

// within fails the test if fn does not return in time.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: timed out", what)
	}
}

func readAll(p *Port) ([]byte, error) {
	var got []byte
	for {
		err := p.Receive(func(b []byte) error { got = append(got, b...); return nil })
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
	}
}

var stdio = []PortConfig{{ID: 1, RxBuffer: 16, TxBuffer: 1, Reader: true}, {ID: 2, RxBuffer: 1, TxBuffer: 8}, {ID: 3, RxBuffer: 1, TxBuffer: 8}}

func TestConsoleHandshake(t *testing.T) {
	r := newRig(t, []uint32{1, 2, 3}, stdio...)
	within(t, 5*time.Second, "ports open", func() {
		for _, id := range []uint32{1, 2, 3} {
			for !r.con.Port(id).HostOpen() {
				time.Sleep(time.Millisecond)
			}
		}
	})
	r.dev.mu.Lock()
	log := r.dev.ctrlLog
	for id := uint32(1); id <= 3; id++ {
		if !r.dev.ports[id].guestConnected {
			t.Errorf("port %d: the guest did not open it", id)
		}
	}
	r.dev.mu.Unlock()
	if len(log) == 0 || log[0] != "0:0:1" {
		t.Errorf("control messages %v: want DEVICE_READY first", log)
	}
	if r.con.MaxPorts != 4 {
		t.Errorf("MaxPorts %d, want 4", r.con.MaxPorts)
	}
}

func TestConsoleReceiveUntilClose(t *testing.T) {
	for _, size := range []int{0, 1, 4095, 4096, 4097, 1 << 20} {
		r := newRig(t, []uint32{1, 2, 3}, stdio...)
		data := make([]byte, size)
		rand.New(rand.NewSource(int64(size))).Read(data)
		go func() {
			// In pieces, as a host writer would.
			for b := data; len(b) > 0; {
				n := min(len(b), 1000+rand.Intn(9000))
				r.dev.hostWrite(1, b[:n])
				b = b[n:]
			}
			r.dev.hostClose(1, false)
		}()
		var got []byte
		var err error
		within(t, 20*time.Second, "receive", func() { got, err = readAll(r.con.Port(1)) })
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: received %d bytes, not what was sent", size, len(got))
		}
	}
}

func TestConsoleReceiveError(t *testing.T) {
	r := newRig(t, []uint32{1, 2, 3}, stdio...)
	r.dev.hostWrite(1, []byte("abc"))
	stop := errors.New("stop")
	var err error
	within(t, 5*time.Second, "receive", func() {
		err = r.con.Port(1).Receive(func([]byte) error { return stop })
	})
	if err != stop {
		t.Fatalf("Receive returned %v, want fn's error", err)
	}
	// The buffers went back: more input still arrives.
	r.dev.hostWrite(1, []byte("def"))
	r.dev.hostClose(1, false)
	var got []byte
	within(t, 5*time.Second, "receive", func() { got, err = readAll(r.con.Port(1)) })
	if string(got) != "def" || err != nil {
		t.Fatalf("got %q, %v", got, err)
	}
}

// send writes data to port p through page buffers, as the kernel's pump
// does.
func send(p *Port, data []byte) error {
	for len(data) > 0 {
		b, err := p.Buffer(true)
		if err != nil {
			return err
		}
		b.N = copy(b.Data, data)
		data = data[b.N:]
		if err := p.Send(b); err != nil {
			return err
		}
	}
	return p.Flush()
}

func TestConsoleSendWithSlowHost(t *testing.T) {
	r := newRig(t, []uint32{1, 2, 3}, stdio...)
	r.dev.mu.Lock()
	r.dev.ports[2].outLimit = 10000 // the host reads slowly: throttled
	r.dev.mu.Unlock()
	data := make([]byte, 300000)
	rand.New(rand.NewSource(1)).Read(data)
	errc := make(chan error, 1)
	go func() { errc <- send(r.con.Port(2), data) }()
	var got []byte
	within(t, 20*time.Second, "host reads", func() {
		for len(got) < len(data) {
			got = append(got, r.dev.hostRead(2)...)
			time.Sleep(100 * time.Microsecond)
		}
	})
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("the host got other bytes than were sent")
	}
}

func TestConsoleHostGone(t *testing.T) {
	r := newRig(t, []uint32{1, 2, 3}, stdio...)
	p := r.con.Port(2)
	r.dev.mu.Lock()
	r.dev.ports[2].outLimit = 1 // stuck: nothing is read
	r.dev.mu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- send(p, make([]byte, 1<<20)) }()
	time.Sleep(50 * time.Millisecond)
	r.dev.hostClose(2, true)
	select {
	case err := <-errc:
		if err != ErrClosed {
			t.Fatalf("send returned %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a writer to a closed port is still blocked")
	}
	if !p.Closed() {
		t.Error("Closed is false")
	}
	if _, err := p.Buffer(false); err != ErrClosed {
		t.Errorf("Buffer after close: %v", err)
	}
}

func TestConsoleUnconfiguredPort(t *testing.T) {
	// The device has port 3 too; the driver only wants 1 and 2.
	r := newRig(t, []uint32{1, 2, 3}, stdio[:2]...)
	within(t, 5*time.Second, "ports open", func() {
		for !r.con.Port(2).HostOpen() {
			time.Sleep(time.Millisecond)
		}
	})
	if r.con.Port(3) != nil {
		t.Error("port 3 exists")
	}
	r.con.mu.Lock()
	if r.con.Unexpected == 0 {
		t.Error("the announcement of port 3 went unnoticed")
	}
	r.con.mu.Unlock()
	r.dev.mu.Lock()
	defer r.dev.mu.Unlock()
	if r.dev.ports[3].guestConnected {
		t.Error("the driver opened a port it was not given")
	}
}
