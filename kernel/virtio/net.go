package virtio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// DeviceNet is the network device's ID (§5.1).
const DeviceNet = 1

// Network device feature bits (§5.1.3).
const (
	NetFMTU    = 1 << 3  // VIRTIO_NET_F_MTU: config mtu is valid
	NetFMAC    = 1 << 5  // VIRTIO_NET_F_MAC: config mac is valid
	NetFStatus = 1 << 16 // VIRTIO_NET_F_STATUS: config status is valid
)

// Network device configuration space (struct virtio_net_config): mac[6],
// le16 status, le16 max_virtqueue_pairs, le16 mtu.
const (
	netConfigMAC    = 0
	netConfigStatus = 6
	netConfigMTU    = 10

	netStatusLinkUp = 1 // VIRTIO_NET_S_LINK_UP
)

// NetHdrSize is the size of struct virtio_net_hdr that precedes every
// frame in both directions (§5.1.6). With VIRTIO_F_VERSION_1 it always
// has num_buffers, 12 bytes; the driver negotiates no offloads, so a
// transmitted header is all zeros and a received one is ignored.
const NetHdrSize = 12

// Queue numbers of the first (and only used) queue pair (§5.1.2).
const (
	netRxQueue = 0
	netTxQueue = 1
)

// NetBufSize is the size of each receive and transmit buffer: half a page,
// which holds the header and the largest frame without offloads (§5.1.6.3.1:
// at least 1526 bytes when neither VIRTIO_NET_F_MRG_RXBUF nor a GUEST_TSO
// feature is negotiated).
const NetBufSize = PageSize / 2

// MaxFrame is the largest Ethernet frame (header included, no FCS) a
// buffer carries.
const MaxFrame = NetBufSize - NetHdrSize

// Buffers per queue: the most one page of rings holds (maxQueueSize).
const netQueueSize = maxQueueSize

// ErrFrameTooBig is returned by Transmit for a frame larger than MaxFrame.
var ErrFrameTooBig = errors.New("virtio: frame larger than a transmit buffer")

// Net drives a virtio network device (§5.1) with one receive and one
// transmit queue of netQueueSize half-page buffers, no offloads and no
// control queue: what QEMU's user network (slirp) behind
// virtio-net-device needs.
//
// Each descriptor owns a fixed buffer, so the descriptor index the device
// returns names the buffer. Receive buffers interrupt when filled; the
// transmit queue interrupts only while a sender waits for a free buffer,
// and used transmit buffers are otherwise reclaimed by the next
// Transmit.
//
// Interrupt must be called after each interrupt of the device (the
// driver's owner acknowledges it); it wakes Receive and waiting
// Transmits. One goroutine receives; any number may transmit.
type Net struct {
	t *Transport

	// MAC is the device's MAC address; MTU its MTU (1500 unless the
	// device gives one).
	MAC [6]byte
	MTU int

	mu   sync.Mutex
	wake chan struct{} // closed at each interrupt

	rx, tx         *Queue
	rxBuf, txBuf   [][]byte // by descriptor index
	rxAddr, txAddr []uint64 // by descriptor index
	// Dropped counts frames Transmit dropped (queue full, no waiting);
	// Short counts received buffers too short for a header.
	Dropped, Short uint64
}

// NewNet sets up the network device behind t: it negotiates the features,
// reads the MAC address and MTU, posts every receive buffer and tells the
// device the driver is ready.
func NewNet(t *Transport, mem Memory) (*Net, error) {
	if t.DeviceID != DeviceNet {
		return nil, fmt.Errorf("virtio: device %d is not a network device", t.DeviceID)
	}
	if err := t.Init(NetFMAC | NetFMTU | NetFStatus); err != nil {
		return nil, err
	}
	n := &Net{t: t, wake: make(chan struct{}), MTU: 1500}
	if t.Features&NetFMAC != 0 {
		lo, hi := t.Config32(netConfigMAC), t.Config32(netConfigMAC+4)
		binary.LittleEndian.PutUint32(n.MAC[0:], lo)
		binary.LittleEndian.PutUint16(n.MAC[4:], uint16(hi))
	} else {
		// §5.1.5: without VIRTIO_NET_F_MAC the driver picks one; a
		// locally administered address.
		n.MAC = [6]byte{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}
	}
	if t.Features&NetFMTU != 0 {
		// The le16 fields at 6 and 10 are the upper halves of the
		// words at 4 and 8.
		if mtu := int(t.Config32(netConfigMTU&^3) >> 16); mtu >= 68 && mtu < n.MTU {
			n.MTU = mtu
		}
	}
	var err error
	if n.rx, n.rxBuf, n.rxAddr, err = n.newQueue(mem, netRxQueue); err != nil {
		return nil, err
	}
	if n.tx, n.txBuf, n.txAddr, err = n.newQueue(mem, netTxQueue); err != nil {
		return nil, err
	}
	n.tx.SetInterrupts(false)
	for i := 0; i < n.rx.Size(); i++ {
		n.addRx()
	}
	n.rx.Publish()
	t.DriverOK()
	t.Notify(netRxQueue)
	return n, nil
}

// newQueue sets up queue index with a half-page buffer per descriptor.
func (n *Net) newQueue(mem Memory, index int) (*Queue, [][]byte, []uint64, error) {
	size := netQueueSize
	if max := n.t.QueueMax(index); max == 0 {
		return nil, nil, nil, fmt.Errorf("virtio: network device has no queue %d", index)
	} else if size > max {
		size = max
	}
	for size&(size-1) != 0 { // a power of two no larger than the device's
		size &= size - 1
	}
	page, addr, err := mem.AllocPage()
	if err != nil {
		return nil, nil, nil, err
	}
	q := NewQueue(index, page, addr, size)
	bufs := make([][]byte, size)
	addrs := make([]uint64, size)
	const perPage = PageSize / NetBufSize
	for i := 0; i < size; i += perPage {
		page, addr, err := mem.AllocPage()
		if err != nil {
			return nil, nil, nil, err
		}
		for j := 0; j < perPage && i+j < size; j++ {
			bufs[i+j] = page[j*NetBufSize : (j+1)*NetBufSize : (j+1)*NetBufSize]
			addrs[i+j] = addr + uint64(j*NetBufSize)
		}
	}
	return q, bufs, addrs, n.t.SetupQueue(q)
}

// addRx posts the receive buffer of the next free descriptor.
func (n *Net) addRx() {
	d, ok := n.rx.PeekFree()
	if !ok {
		panic("virtio: receive queue overflow")
	}
	n.rx.Add(n.rxAddr[d], NetBufSize, true)
}

// LinkUp reports the link's state (up if the device does not say).
func (n *Net) LinkUp() bool {
	if n.t.Features&NetFStatus == 0 {
		return true
	}
	return n.t.Config32(netConfigStatus&^3)>>16&netStatusLinkUp != 0
}

// Interrupt wakes the goroutines waiting for the device.
func (n *Net) Interrupt() {
	n.mu.Lock()
	close(n.wake)
	n.wake = make(chan struct{})
	n.mu.Unlock()
}

// waitLocked waits, with n.mu held, for the next interrupt, with q's
// interrupts on while it waits (unless q already has used buffers). The
// receive queue's interrupts stay on.
func (n *Net) waitLocked(q *Queue) {
	if q == n.tx {
		q.SetInterrupts(true)
	}
	if !q.HasUsed() {
		ch := n.wake
		n.mu.Unlock()
		<-ch
		n.mu.Lock()
	}
	if q == n.tx {
		q.SetInterrupts(false)
	}
}

// Receive waits for received frames and calls fn with each, in order,
// without the driver's lock held; the frame is valid only during the
// call. Then it gives the buffers back to the device. If stop is closed
// while it waits, it returns false.
func (n *Net) Receive(stop <-chan struct{}, fn func(frame []byte)) bool {
	var got [netQueueSize]struct {
		d   uint16
		len uint32
	}
	n.mu.Lock()
	k := 0
	for {
		for k < len(got) {
			d, l, ok := n.rx.Used()
			if !ok {
				break
			}
			got[k].d, got[k].len = d, l
			k++
		}
		if k > 0 {
			break
		}
		ch := n.wake
		n.mu.Unlock()
		select {
		case <-ch:
		case <-stop:
			return false
		}
		n.mu.Lock()
	}
	n.mu.Unlock()
	for _, g := range got[:k] {
		l := int(min(g.len, NetBufSize))
		if l < NetHdrSize {
			n.Short++
			continue
		}
		fn(n.rxBuf[g.d][NetHdrSize:l])
	}
	n.mu.Lock()
	for range got[:k] {
		n.addRx()
	}
	n.rx.Publish()
	if n.rx.NeedsNotify() {
		n.t.Notify(netRxQueue)
	}
	n.mu.Unlock()
	return true
}

// Transmit sends up to count frames: fill(i, buf) writes frame i into
// buf (MaxFrame bytes) and returns its length, or -1 for a frame too big
// (which is skipped). The device is notified once, after the last frame.
// While every buffer is in flight Transmit waits for the device if wait
// is set, else it drops the rest (counted in Dropped). It returns the
// number of frames handed to the device.
func (n *Net) Transmit(count int, wait bool, fill func(i int, buf []byte) int) (sent int, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	added := false
	for i := 0; i < count; i++ {
		d, ok := n.freeTx()
		if !ok {
			if !wait {
				n.Dropped += uint64(count - i)
				break
			}
			if added { // let the device drain what is queued
				n.publishTx()
				added = false
			}
			for !ok {
				n.waitLocked(n.tx)
				d, ok = n.freeTx()
			}
		}
		buf := n.txBuf[d]
		clear(buf[:NetHdrSize])
		l := fill(i, buf[NetHdrSize:])
		if l < 0 {
			err = ErrFrameTooBig
			continue
		}
		n.tx.Add(n.txAddr[d], uint32(NetHdrSize+l), false)
		added = true
		sent++
	}
	if added {
		n.publishTx()
	}
	return sent, err
}

// freeTx reclaims the transmit buffers the device is done with and
// returns the next free descriptor.
func (n *Net) freeTx() (uint16, bool) {
	for {
		if _, _, ok := n.tx.Used(); !ok {
			break
		}
	}
	return n.tx.PeekFree()
}

func (n *Net) publishTx() {
	n.tx.Publish()
	if n.tx.NeedsNotify() {
		n.t.Notify(netTxQueue)
	}
}
