package virtio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"
)

// The network device model (hw/net/virtio-net.c behind slirp): frames the
// guest transmits are taken during the notification; frames for the guest
// wait in pending until a receive buffer is posted (QEMU's
// virtio_net_can_receive makes slirp queue them), each in one buffer after
// a 12-byte header.

type fakeNet struct {
	*fakeDev
	sent    [][]byte // frames the guest transmitted
	pending [][]byte // frames for the guest
	stallTx bool     // leave transmitted buffers in the ring
}

var testMAC = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

func newFakeNet(mem *fakeMem) *fakeNet {
	n := &fakeNet{fakeDev: newFakeDev(mem)}
	d := n.fakeDev
	d.deviceID = DeviceNet
	d.features = FeatureVersion1 | NetFMAC | NetFStatus | 1<<0 /* CSUM, not taken */
	d.nqueues = 3
	d.config = make([]byte, 12)
	copy(d.config, testMAC[:])
	binary.LittleEndian.PutUint16(d.config[netConfigStatus:], netStatusLinkUp)
	d.onNotify = n.notify
	return n
}

// notify runs with d.mu held.
func (n *fakeNet) notify(index int) {
	switch index {
	case netRxQueue:
		n.deliver()
	case netTxQueue:
		n.flushTx()
	default:
		panic(fmt.Sprintf("notify of queue %d", index))
	}
}

func (n *fakeNet) flushTx() {
	if n.stallTx {
		return
	}
	q := &n.queues[netTxQueue]
	pushed := false
	for {
		id, buf, w, ok := n.pop(q)
		if !ok {
			break
		}
		if w || len(buf) < NetHdrSize {
			panic("bad transmit buffer")
		}
		if !bytes.Equal(buf[:NetHdrSize], make([]byte, NetHdrSize)) {
			panic("transmit header not zero")
		}
		n.sent = append(n.sent, append([]byte(nil), buf[NetHdrSize:]...))
		n.push(q, id, 0)
		pushed = true
	}
	if pushed {
		n.interrupt(q)
	}
}

func (n *fakeNet) deliver() {
	q := &n.queues[netRxQueue]
	for len(n.pending) > 0 {
		id, buf, w, ok := n.pop(q)
		if !ok {
			return
		}
		if !w || len(buf) < NetHdrSize+len(n.pending[0]) {
			panic("bad receive buffer")
		}
		clear(buf[:NetHdrSize])
		l := copy(buf[NetHdrSize:], n.pending[0])
		n.pending = n.pending[1:]
		n.push(q, id, NetHdrSize+l)
		n.interrupt(q)
	}
}

// hostSend queues frames for the guest (slirp's output).
func (n *fakeNet) hostSend(frames ...[]byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pending = append(n.pending, frames...)
	n.deliver()
}

func (n *fakeNet) taken() [][]byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.sent
	n.sent = nil
	return s
}

// setStall stalls the transmit queue, or lets it go on.
func (n *fakeNet) setStall(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.stallTx = on
	if !on {
		n.flushTx()
	}
}

// newNetRig sets up the driver on a fake device, with a goroutine standing
// for the kernel's interrupt path.
func newNetRig(t *testing.T) (*fakeNet, *Net) {
	t.Helper()
	mem := newFakeMem(256)
	dev := newFakeNet(mem)
	tr, err := Probe(dev)
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNet(tr, mem)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-dev.irq:
			}
			tr.AckInterrupt()
			n.Interrupt()
		}
	}()
	return dev, n
}

func frame(i, size int) []byte {
	b := make([]byte, size)
	for j := range b {
		b[j] = byte(i + j)
	}
	binary.BigEndian.PutUint32(b, uint32(i))
	return b
}

func TestNetSetup(t *testing.T) {
	dev, n := newNetRig(t)
	if n.MAC != testMAC {
		t.Errorf("MAC %x, want %x", n.MAC, testMAC)
	}
	if n.MTU != 1500 {
		t.Errorf("MTU %d", n.MTU)
	}
	if !n.LinkUp() {
		t.Error("link down")
	}
	dev.mu.Lock()
	defer dev.mu.Unlock()
	if want := uint64(FeatureVersion1 | NetFMAC | NetFStatus); dev.drvFeatures != want {
		t.Errorf("features %#x, want %#x", dev.drvFeatures, want)
	}
	if dev.status&StatusDriverOK == 0 {
		t.Error("not DRIVER_OK")
	}
	if got := dev.availIdx(&dev.queues[netRxQueue]); got != netQueueSize {
		t.Errorf("%d receive buffers posted, want %d", got, netQueueSize)
	}
}

func TestNetTransmit(t *testing.T) {
	dev, n := newNetRig(t)
	var frames [][]byte
	for i := range 3 * netQueueSize {
		frames = append(frames, frame(i, 60+i%(MaxFrame-60)))
	}
	for i := 0; i < len(frames); i += 50 {
		batch := frames[i:min(i+50, len(frames))]
		sent, err := n.Transmit(len(batch), false, func(j int, buf []byte) int { return copy(buf, batch[j]) })
		if err != nil || sent != len(batch) {
			t.Fatalf("Transmit: %d, %v", sent, err)
		}
	}
	got := dev.taken()
	if len(got) != len(frames) {
		t.Fatalf("device got %d frames, want %d", len(got), len(frames))
	}
	for i := range got {
		if !bytes.Equal(got[i], frames[i]) {
			t.Fatalf("frame %d differs", i)
		}
	}
	sent, err := n.Transmit(2, false, func(j int, buf []byte) int {
		if j == 0 {
			return -1
		}
		return copy(buf, frames[0])
	})
	if sent != 1 || err != ErrFrameTooBig {
		t.Errorf("Transmit with a frame too big: %d, %v", sent, err)
	}
}

func TestNetTransmitFull(t *testing.T) {
	dev, n := newNetRig(t)
	dev.setStall(true)
	fill := func(i int, buf []byte) int { return copy(buf, frame(i, 100)) }
	sent, _ := n.Transmit(netQueueSize+10, false, fill)
	if sent != netQueueSize || n.Dropped != 10 {
		t.Fatalf("without waiting: sent %d, dropped %d; want %d, 10", sent, n.Dropped, netQueueSize)
	}
	done := make(chan int)
	go func() {
		sent, _ := n.Transmit(5, true, fill)
		done <- sent
	}()
	select {
	case <-done:
		t.Fatal("Transmit did not wait for a full queue")
	case <-time.After(50 * time.Millisecond):
	}
	dev.setStall(false)
	select {
	case sent := <-done:
		if sent != 5 {
			t.Fatalf("sent %d", sent)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Transmit still waits after the device drained the queue")
	}
	if got := len(dev.taken()); got != netQueueSize+5 {
		t.Errorf("device got %d frames, want %d", got, netQueueSize+5)
	}
}

func TestNetReceive(t *testing.T) {
	dev, n := newNetRig(t)
	const total = 5 * netQueueSize
	var frames [][]byte
	for i := range total {
		frames = append(frames, frame(i, 14+i%(MaxFrame-14)))
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < total; i += 70 {
			dev.hostSend(frames[i:min(i+70, total)]...)
		}
	}()
	stop := make(chan struct{})
	var got [][]byte
	timeout := time.AfterFunc(10*time.Second, func() { close(stop) })
	for len(got) < total {
		if !n.Receive(stop, func(f []byte) { got = append(got, append([]byte(nil), f...)) }) {
			t.Fatalf("timed out after %d frames", len(got))
		}
	}
	timeout.Stop()
	wg.Wait()
	for i := range got {
		if !bytes.Equal(got[i], frames[i]) {
			t.Fatalf("frame %d differs", i)
		}
	}
	// Receive returns when stopped.
	stopped := make(chan struct{})
	close(stopped)
	if n.Receive(stopped, func([]byte) { t.Error("frame out of nowhere") }) {
		t.Error("Receive did not return false when stopped")
	}
}
