package virtio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Console feature bits (§5.3.3).
const (
	ConsoleFSize       = 1 << 0
	ConsoleFMultiport  = 1 << 1
	ConsoleFEmergWrite = 1 << 2
)

// Control message events (§5.3.6.2, struct virtio_console_control).
const (
	CtrlDeviceReady  = 0
	CtrlDeviceAdd    = 1
	CtrlDeviceRemove = 2
	CtrlPortReady    = 3
	CtrlConsolePort  = 4
	CtrlResize       = 5
	CtrlPortOpen     = 6
	CtrlPortName     = 7

	ctrlMsgSize = 8 // le32 id, le16 event, le16 value
)

// Configuration space of the console (struct virtio_console_config).
const configMaxNrPorts = 4

// PageSize is the size of the pages a Memory hands out; every data buffer
// is one page.
const PageSize = 4096

// Memory provides memory the device can reach.
type Memory interface {
	// AllocPage returns a zeroed, page-aligned page: the driver's view
	// of it and the device's address for it.
	AllocPage() ([]byte, uint64, error)
}

// ErrClosed is returned by a port's operations once the host closed its
// side.
var ErrClosed = errors.New("virtio: port closed by the host")

// Queue sizes: one page holds the rings of a queue of up to 128
// descriptors, and a queue needs no more descriptors than buffers.
const (
	maxQueueSize  = 128
	ctrlQueueSize = 32
	ctrlSlot      = PageSize / ctrlQueueSize // room for a control message and a port name
)

// Buf is a page-sized buffer of a port: N bytes of Data are valid.
type Buf struct {
	Data []byte
	N    int
	addr uint64
}

// PortConfig asks for a port: its number (the QEMU virtserialport's nr)
// and how many page buffers it gets in each direction. A port the guest
// only writes still needs a receive buffer: QEMU notices that the host
// side closed only while the guest can take data.
type PortConfig struct {
	ID       uint32
	RxBuffer int
	TxBuffer int
	// Reader: a goroutine takes the input with Receive. Otherwise the
	// driver drops whatever arrives.
	Reader bool
}

// Console drives a virtio console with the MULTIPORT feature (§5.3): a
// control queue pair and a receive and transmit queue per port. The
// device announces its ports on the control queue; the driver answers
// PORT_READY and opens the ports it was configured with, and hears from
// PORT_OPEN whether the host side of a port is connected. QEMU's
// virtserialport is such a port: it sends PORT_OPEN 0 when its character
// device closes (virtio_serial_close), after all data read before the
// close went into the receive queue, so a port's end of file is a closed
// port with an empty receive queue.
//
// Interrupt must be called after each interrupt of the device (the
// driver's owner acknowledges it); it handles control messages and wakes
// the goroutines waiting in Receive, Buffer and Flush. Each port has one
// receiving and one sending goroutine at most.
type Console struct {
	t   *Transport
	mem Memory

	mu   sync.Mutex
	wake chan struct{} // closed at each interrupt

	ctrlRx, ctrlTx       *Queue
	ctrlRxBuf, ctrlTxBuf []byte // slot i for descriptor i
	ctrlRxAddr, ctrlAddr uint64
	ports                map[uint32]*Port
	// MaxPorts is the device's max_nr_ports.
	MaxPorts uint32
	// Unexpected counts control messages about unknown ports or
	// events the driver does not act on.
	Unexpected int
}

// Port is one port of the console.
type Port struct {
	c      *Console
	ID     uint32
	rx, tx *Queue
	rxBufs []*Buf // by descriptor index
	txBufs []*Buf // by descriptor index
	txFree []*Buf
	// hostOpen and hostClosed follow the device's PORT_OPEN messages.
	hostOpen, hostClosed bool
	// reader: a goroutine takes the port's input; otherwise Interrupt
	// discards it.
	reader bool
}

// NewConsole sets up the console behind t with the given ports and starts
// the control protocol. Ports the device does not have stay unused.
func NewConsole(t *Transport, mem Memory, ports []PortConfig) (*Console, error) {
	if t.DeviceID != DeviceConsole {
		return nil, fmt.Errorf("virtio: device %d is not a console", t.DeviceID)
	}
	if err := t.Init(ConsoleFMultiport); err != nil {
		return nil, err
	}
	if t.Features&ConsoleFMultiport == 0 {
		return nil, errors.New("virtio: console without MULTIPORT")
	}
	c := &Console{t: t, mem: mem, wake: make(chan struct{}), ports: map[uint32]*Port{}}
	c.MaxPorts = t.Config32(configMaxNrPorts)
	var err error
	if c.ctrlRx, err = c.newQueue(2, ctrlQueueSize); err != nil {
		return nil, err
	}
	if c.ctrlTx, err = c.newQueue(3, ctrlQueueSize); err != nil {
		return nil, err
	}
	if c.ctrlRxBuf, c.ctrlRxAddr, err = mem.AllocPage(); err != nil {
		return nil, err
	}
	if c.ctrlTxBuf, c.ctrlAddr, err = mem.AllocPage(); err != nil {
		return nil, err
	}
	for i := 0; i < c.ctrlRx.Size(); i++ {
		d, _ := c.ctrlRx.PeekFree()
		c.ctrlRx.Add(c.ctrlRxAddr+uint64(int(d)*ctrlSlot), ctrlSlot, true)
	}
	c.ctrlRx.Publish()
	for _, pc := range ports {
		if pc.ID == 0 || pc.ID >= c.MaxPorts {
			return nil, fmt.Errorf("virtio: port %d: the device has ports 1 to %d", pc.ID, c.MaxPorts-1)
		}
		p, err := c.newPort(pc)
		if err != nil {
			return nil, err
		}
		c.ports[pc.ID] = p
	}
	t.DriverOK()
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Notify(c.ctrlRx.Index)
	for _, p := range c.ports {
		t.Notify(p.rx.Index)
	}
	return c, c.sendControl(0, CtrlDeviceReady, 1)
}

// newQueue allocates a page for the rings of queue index (size n) and
// gives it to the device.
func (c *Console) newQueue(index, n int) (*Queue, error) {
	if max := c.t.QueueMax(index); max == 0 {
		return nil, fmt.Errorf("virtio: console has no queue %d", index)
	} else if n > max {
		n = max
	}
	mem, addr, err := c.mem.AllocPage()
	if err != nil {
		return nil, err
	}
	q := NewQueue(index, mem, addr, n)
	q.SetInterrupts(index == 2) // only the control queue interrupts unasked
	return q, c.t.SetupQueue(q)
}

// queueSize is the smallest power of two holding n buffers, at most
// maxQueueSize.
func queueSize(n int) int {
	s := 1
	for s < n && s < maxQueueSize {
		s <<= 1
	}
	return s
}

func (c *Console) newPort(pc PortConfig) (*Port, error) {
	if pc.RxBuffer < 1 {
		pc.RxBuffer = 1
	}
	if pc.TxBuffer < 1 {
		pc.TxBuffer = 1
	}
	p := &Port{c: c, ID: pc.ID, reader: pc.Reader}
	var err error
	if p.rx, err = c.newQueue(int(2+2*pc.ID), queueSize(pc.RxBuffer)); err != nil {
		return nil, err
	}
	if p.tx, err = c.newQueue(int(3+2*pc.ID), queueSize(pc.TxBuffer)); err != nil {
		return nil, err
	}
	p.rxBufs = make([]*Buf, p.rx.Size())
	p.txBufs = make([]*Buf, p.tx.Size())
	for i := 0; i < min(pc.RxBuffer, p.rx.Size()); i++ {
		b, err := c.newBuf()
		if err != nil {
			return nil, err
		}
		p.addRx(b)
	}
	p.rx.Publish()
	for i := 0; i < min(pc.TxBuffer, p.tx.Size()); i++ {
		b, err := c.newBuf()
		if err != nil {
			return nil, err
		}
		p.txFree = append(p.txFree, b)
	}
	return p, nil
}

func (c *Console) newBuf() (*Buf, error) {
	data, addr, err := c.mem.AllocPage()
	if err != nil {
		return nil, err
	}
	return &Buf{Data: data[:PageSize], addr: addr}, nil
}

// Port returns port id, or nil if it was not configured.
func (c *Console) Port(id uint32) *Port { return c.ports[id] }

// sendControl sends a control message. The device takes control messages
// as they are notified (QEMU handles them during the notification), so a
// full queue is an error rather than a wait. Descriptor i carries slot i
// of the page.
func (c *Console) sendControl(id uint32, event, value uint16) error {
	for {
		if _, _, ok := c.ctrlTx.Used(); !ok {
			break
		}
	}
	d, ok := c.ctrlTx.PeekFree()
	if !ok {
		return errors.New("virtio: console control queue full")
	}
	off := int(d) * ctrlSlot
	m := c.ctrlTxBuf[off : off+ctrlMsgSize]
	binary.LittleEndian.PutUint32(m[0:], id)
	binary.LittleEndian.PutUint16(m[4:], event)
	binary.LittleEndian.PutUint16(m[6:], value)
	c.ctrlTx.Add(c.ctrlAddr+uint64(off), ctrlMsgSize, false)
	c.ctrlTx.Publish()
	c.t.Notify(c.ctrlTx.Index)
	return nil
}

// Interrupt handles what the device did since the last call: control
// messages, input on ports nobody reads; then it wakes the waiters.
func (c *Console) Interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handleControl()
	for _, p := range c.ports {
		if !p.reader {
			p.discardRx()
		}
	}
	close(c.wake)
	c.wake = make(chan struct{})
}

// handleControl acts on the control messages received.
func (c *Console) handleControl() {
	got := false
	for {
		d, n, ok := c.ctrlRx.Used()
		if !ok {
			break
		}
		got = true
		var id uint32
		var event, value uint16
		if off := int(d) * ctrlSlot; n >= ctrlMsgSize {
			m := c.ctrlRxBuf[off : off+ctrlMsgSize]
			id, event, value = binary.LittleEndian.Uint32(m[0:]), binary.LittleEndian.Uint16(m[4:]), binary.LittleEndian.Uint16(m[6:])
		}
		// The slot goes back at once: answering a message makes the
		// device send more (QEMU does during the notification), and a
		// message finding no buffer is lost.
		d, _ = c.ctrlRx.PeekFree()
		c.ctrlRx.Add(c.ctrlRxAddr+uint64(int(d)*ctrlSlot), ctrlSlot, true)
		c.ctrlRx.Publish()
		if n >= ctrlMsgSize {
			c.control(id, event, value)
		}
	}
	if got {
		c.t.Notify(c.ctrlRx.Index)
	}
}

// control acts on one message from the device (the driver's side of
// §5.3.6.2): a new port is made ready and opened if configured; PORT_OPEN
// tells the host side's state.
func (c *Console) control(id uint32, event, value uint16) {
	p := c.ports[id]
	switch {
	case event == CtrlDeviceAdd && p != nil:
		c.sendControl(id, CtrlPortReady, 1)
		c.sendControl(id, CtrlPortOpen, 1)
	case event == CtrlPortOpen && p != nil:
		p.hostOpen = value != 0
		if value == 0 {
			p.hostClosed = true
		}
	case event == CtrlConsolePort, event == CtrlPortName, event == CtrlResize:
	default:
		c.Unexpected++
	}
}

// waitLocked waits, with c.mu held, for the next interrupt, with q's
// interrupts on while it waits (unless q already has used buffers).
func (c *Console) waitLocked(q *Queue) {
	q.SetInterrupts(true)
	if !q.HasUsed() {
		ch := c.wake
		c.mu.Unlock()
		<-ch
		c.mu.Lock()
	}
	q.SetInterrupts(false)
}

func (p *Port) addRx(b *Buf) {
	d, ok := p.rx.Add(b.addr, PageSize, true)
	if !ok {
		panic("virtio: receive queue overflow")
	}
	p.rxBufs[d] = b
}

// discardRx gives input nobody reads back to the device.
func (p *Port) discardRx() {
	got := false
	for {
		d, _, ok := p.rx.Used()
		if !ok {
			break
		}
		p.addRx(p.rxBufs[d])
		got = true
	}
	if got {
		p.rx.Publish()
		p.c.t.Notify(p.rx.Index)
	}
}

// HostOpen reports whether the host side is connected.
func (p *Port) HostOpen() bool {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	return p.hostOpen
}

// Receive waits for input and calls fn with each received piece in order,
// without the console's lock held; then it gives the buffers back to the
// device. It returns fn's first error, or io.EOF once the host closed the
// port and every byte sent before was received.
func (p *Port) Receive(fn func([]byte) error) error {
	c := p.c
	c.mu.Lock()
	var got []*Buf
	for {
		// The close is looked at before the queue: what the device
		// put in the queue before it sent PORT_OPEN 0 is seen then.
		closed := p.hostClosed
		for {
			d, n, ok := p.rx.Used()
			if !ok {
				break
			}
			b := p.rxBufs[d]
			b.N = int(min(n, PageSize))
			got = append(got, b)
		}
		if len(got) > 0 {
			break
		}
		if closed {
			c.mu.Unlock()
			return io.EOF
		}
		c.waitLocked(p.rx)
	}
	c.mu.Unlock()
	var err error
	for _, b := range got {
		if err == nil && b.N > 0 {
			err = fn(b.Data[:b.N])
		}
	}
	c.mu.Lock()
	for _, b := range got {
		p.addRx(b)
	}
	p.rx.Publish()
	c.t.Notify(p.rx.Index)
	c.mu.Unlock()
	return err
}

// reapTx takes back the transmit buffers the device is done with.
func (p *Port) reapTx() {
	for {
		d, _, ok := p.tx.Used()
		if !ok {
			return
		}
		p.txFree = append(p.txFree, p.txBufs[d])
		p.txBufs[d] = nil
	}
}

// Buffer returns a transmit buffer to fill, waiting while the device holds
// all of them if wait is set (else it returns nil). It fails with
// ErrClosed once the host closed the port.
func (p *Port) Buffer(wait bool) (*Buf, error) {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if p.hostClosed {
			return nil, ErrClosed
		}
		p.reapTx()
		if n := len(p.txFree); n > 0 {
			b := p.txFree[n-1]
			p.txFree = p.txFree[:n-1]
			b.N = 0
			return b, nil
		}
		if !wait {
			return nil, nil
		}
		c.waitLocked(p.tx)
	}
}

// Release gives back a buffer from Buffer that will not be sent.
func (p *Port) Release(b *Buf) {
	p.c.mu.Lock()
	p.txFree = append(p.txFree, b)
	p.c.mu.Unlock()
}

// Send hands the device the buffers' first N bytes, in order, and
// notifies it. It fails with ErrClosed (keeping the buffers) once the
// host closed the port.
func (p *Port) Send(bufs ...*Buf) error {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.hostClosed {
		p.txFree = append(p.txFree, bufs...)
		return ErrClosed
	}
	for _, b := range bufs {
		if b.N <= 0 {
			p.txFree = append(p.txFree, b)
			continue
		}
		d, ok := p.tx.Add(b.addr, uint32(b.N), false)
		if !ok {
			panic("virtio: transmit queue overflow")
		}
		p.txBufs[d] = b
	}
	p.tx.Publish()
	if p.tx.NeedsNotify() {
		c.t.Notify(p.tx.Index)
	}
	return nil
}

// Flush waits until the device took everything sent, or the host closed
// the port (ErrClosed).
func (p *Port) Flush() error {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		p.reapTx()
		if p.tx.InFlight() == 0 {
			return nil
		}
		if p.hostClosed {
			return ErrClosed
		}
		c.waitLocked(p.tx)
	}
}

// Closed reports whether the host closed its side.
func (p *Port) Closed() bool {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	return p.hostClosed
}
