package virtio

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The tests drive the driver against a model of QEMU's virtio-mmio
// transport and virtio-serial device (hw/virtio/virtio-mmio.c,
// hw/char/virtio-serial-bus.c, hw/char/virtio-console.c), over ordinary
// memory standing for guest RAM. Like QEMU under TCG, the device handles
// a queue notification synchronously, in the driver's goroutine, and
// fills receive buffers from another goroutine (QEMU's I/O thread), at
// most 4096 bytes per buffer (virtio_serial_guest_ready's limit).

// fakeMem is guest RAM: pages handed out in order. Device addresses start
// at memBase so that 0 is never valid.
type fakeMem struct {
	mu    sync.Mutex
	arena []byte
	next  int
}

const memBase = 0x100000

func newFakeMem(pages int) *fakeMem {
	b := make([]byte, (pages+1)*PageSize)
	off := int(-uintptr(unsafe.Pointer(&b[0])) & (PageSize - 1))
	return &fakeMem{arena: b[off : off+pages*PageSize]}
}

func (m *fakeMem) AllocPage() ([]byte, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.next+PageSize > len(m.arena) {
		return nil, 0, fmt.Errorf("fake memory exhausted")
	}
	p := m.arena[m.next : m.next+PageSize : m.next+PageSize]
	addr := uint64(memBase + m.next)
	m.next += PageSize
	return p, addr, nil
}

// at returns guest memory at device address addr.
func (m *fakeMem) at(addr uint64, n int) []byte {
	off := int(addr) - memBase
	if off < 0 || off+n > len(m.arena) {
		panic(fmt.Sprintf("device access outside guest RAM: %#x+%d", addr, n))
	}
	return m.arena[off : off+n]
}

// devQueue is the device's view of a queue.
type devQueue struct {
	num                int
	desc, avail, used  uint64
	ready              bool
	lastAvail, usedIdx uint16
}

// fakePort is a virtserialport: hostConnected mirrors its character
// device, out collects what the guest sent, in holds what the host still
// has to deliver.
type fakePort struct {
	hostConnected, guestConnected bool
	out                           []byte
	// outLimit, if not 0, throttles the port while out holds that
	// much (a host reader that does not keep up).
	outLimit int
	in       []byte
	closing  bool // close once in is delivered
}

type fakeDev struct {
	mem *fakeMem

	mu          sync.Mutex
	cond        *sync.Cond
	status      uint32
	featSel     uint32
	drvFeatSel  uint32
	drvFeatures uint64
	queueSel    uint32
	queues      [16]devQueue
	isr         uint32
	ports       map[uint32]*fakePort
	maxPorts    uint32
	// irq is signalled when the interrupt line goes up.
	irq chan struct{}
	// log of control messages the guest sent, "event:id:value".
	ctrlLog []string

	// What the device is: a console unless a test says otherwise
	// (newFakeNet). queues is the number of queues; config the
	// configuration space; onNotify handles queue notifications.
	deviceID uint32
	features uint64
	nqueues  uint32
	config   []byte
	onNotify func(index int)
}

const devFeatures = FeatureVersion1 | ConsoleFMultiport | ConsoleFSize

func newFakeDev(mem *fakeMem, ports ...uint32) *fakeDev {
	d := &fakeDev{mem: mem, ports: map[uint32]*fakePort{}, maxPorts: 4, irq: make(chan struct{}, 1),
		deviceID: DeviceConsole, features: devFeatures, nqueues: 2 + 2*4}
	d.config = binary.LittleEndian.AppendUint32(make([]byte, configMaxNrPorts), d.maxPorts)
	d.onNotify = d.consoleNotify
	d.cond = sync.NewCond(&d.mu)
	for _, id := range ports {
		d.ports[id] = &fakePort{hostConnected: true}
	}
	return d
}

func (d *fakeDev) Read32(off uintptr) uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	q := &d.queues[d.queueSel]
	switch off {
	case RegMagic:
		return MMIOMagic
	case RegVersion:
		return 2
	case RegDeviceID:
		return d.deviceID
	case RegVendorID:
		return 0x554d4551
	case RegDeviceFeatures:
		return uint32(d.features >> (32 * d.featSel))
	case RegQueueNumMax:
		if d.queueSel < d.nqueues {
			return 1024
		}
		return 0
	case RegQueueReady:
		if q.ready {
			return 1
		}
		return 0
	case RegInterruptStatus:
		return d.isr
	case RegStatus:
		return d.status
	case RegConfigGeneration:
		return 0
	}
	if off >= RegConfig && int(off-RegConfig)+4 <= len(d.config) {
		return binary.LittleEndian.Uint32(d.config[off-RegConfig:])
	}
	return 0
}

func (d *fakeDev) Write32(off uintptr, v uint32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	q := &d.queues[d.queueSel]
	switch off {
	case RegDeviceFeatureSel:
		d.featSel = v
	case RegDriverFeatureSel:
		d.drvFeatSel = v
	case RegDriverFeatures:
		d.drvFeatures |= uint64(v) << (32 * d.drvFeatSel)
	case RegQueueSel:
		d.queueSel = v
	case RegQueueNum:
		q.num = int(v)
	case RegQueueDescLow:
		q.desc = q.desc&^0xffffffff | uint64(v)
	case RegQueueDriverLow:
		q.avail = q.avail&^0xffffffff | uint64(v)
	case RegQueueDeviceLow:
		q.used = q.used&^0xffffffff | uint64(v)
	case RegQueueDescHigh, RegQueueDriverHigh, RegQueueDeviceHigh:
		if v != 0 {
			panic("high address bits in a test")
		}
	case RegQueueReady:
		q.ready = v == 1
	case RegStatus:
		if v == 0 { // reset
			d.status, d.drvFeatures, d.isr = 0, 0, 0
			d.queues = [16]devQueue{}
			return
		}
		if v&StatusFeaturesOK != 0 && d.drvFeatures&^d.features != 0 {
			v &^= StatusFeaturesOK
		}
		d.status = v
	case RegInterruptACK:
		d.isr &^= v
	case RegQueueNotify:
		d.onNotify(int(v))
		d.cond.Broadcast()
	}
}

// Device-side ring access.

func (d *fakeDev) availIdx(q *devQueue) uint16 {
	hdr := (*uint32)(unsafe.Pointer(&d.mem.at(q.avail, 4)[0]))
	return uint16(atomic.LoadUint32(hdr) >> 16)
}

func (d *fakeDev) availFlags(q *devQueue) uint16 {
	hdr := (*uint32)(unsafe.Pointer(&d.mem.at(q.avail, 4)[0]))
	return uint16(atomic.LoadUint32(hdr))
}

// pop takes the next available descriptor: its index and buffer.
func (d *fakeDev) pop(q *devQueue) (uint16, []byte, bool, bool) {
	id, addr, w, ok := d.popRaw(q)
	if !ok {
		return 0, nil, false, false
	}
	n := binary.LittleEndian.Uint32(d.mem.at(q.desc+16*uint64(id)+8, 4))
	return id, d.mem.at(addr, int(n)), w, true
}

// popRaw takes the next available descriptor: its index, address and
// direction.
func (d *fakeDev) popRaw(q *devQueue) (uint16, uint64, bool, bool) {
	if !q.ready || d.availIdx(q) == q.lastAvail {
		return 0, 0, false, false
	}
	e := d.mem.at(q.avail+4+2*uint64(int(q.lastAvail)%q.num), 2)
	q.lastAvail++
	id := binary.LittleEndian.Uint16(e)
	desc := d.mem.at(q.desc+16*uint64(id), 16)
	flags := binary.LittleEndian.Uint16(desc[12:])
	if flags&descFNext != 0 {
		panic("chained descriptors")
	}
	return id, binary.LittleEndian.Uint64(desc[0:]), flags&descFWrite != 0, true
}

// push returns a buffer to the driver.
func (d *fakeDev) push(q *devQueue, id uint16, written int) {
	e := d.mem.at(q.used+4+8*uint64(int(q.usedIdx)%q.num), 8)
	binary.LittleEndian.PutUint32(e[0:], uint32(id))
	binary.LittleEndian.PutUint32(e[4:], uint32(written))
	q.usedIdx++
	hdr := (*uint32)(unsafe.Pointer(&d.mem.at(q.used, 4)[0]))
	atomic.StoreUint32(hdr, uint32(q.usedIdx)<<16)
}

// interrupt raises the line for q unless the driver suppressed it
// (virtio_should_notify without VIRTIO_RING_F_EVENT_IDX).
func (d *fakeDev) interrupt(q *devQueue) {
	if d.availFlags(q)&availFNoInterrupt != 0 {
		return
	}
	d.isr |= InterruptUsedBuffer
	select {
	case d.irq <- struct{}{}:
	default:
	}
}

// consoleNotify handles a queue notification of the console.
func (d *fakeDev) consoleNotify(index int) {
	q := &d.queues[index]
	switch {
	case index == 3:
		for {
			id, buf, w, ok := d.pop(q)
			if !ok {
				break
			}
			if w || len(buf) < ctrlMsgSize {
				panic("bad control message buffer")
			}
			d.guestControl(binary.LittleEndian.Uint32(buf), binary.LittleEndian.Uint16(buf[4:]), binary.LittleEndian.Uint16(buf[6:]))
			d.push(q, id, 0)
		}
		d.interrupt(q)
	case index >= 4 && index%2 == 1:
		d.flush(uint32(index-3) / 2)
	}
}

// guestControl is handle_control_message.
func (d *fakeDev) guestControl(id uint32, event, value uint16) {
	d.ctrlLog = append(d.ctrlLog, fmt.Sprintf("%d:%d:%d", event, id, value))
	switch event {
	case CtrlDeviceReady:
		for pid := uint32(1); pid < d.maxPorts; pid++ {
			if d.ports[pid] != nil {
				d.sendControl(pid, CtrlDeviceAdd, 1)
			}
		}
	case CtrlPortReady:
		if p := d.ports[id]; p != nil && p.hostConnected {
			d.sendControl(id, CtrlPortOpen, 1)
		}
	case CtrlPortOpen:
		if p := d.ports[id]; p != nil {
			p.guestConnected = value != 0
		}
	}
}

// sendControl is send_control_event: dropped when the driver has no
// control buffer posted.
func (d *fakeDev) sendControl(id uint32, event, value uint16) {
	q := &d.queues[2]
	qid, buf, w, ok := d.pop(q)
	if !ok {
		return
	}
	if !w || len(buf) < ctrlMsgSize {
		panic("bad control receive buffer")
	}
	binary.LittleEndian.PutUint32(buf, id)
	binary.LittleEndian.PutUint16(buf[4:], event)
	binary.LittleEndian.PutUint16(buf[6:], value)
	d.push(q, qid, ctrlMsgSize)
	d.interrupt(q)
}

// flush is do_flush_queued_data: the guest's output goes to the host
// until the port is throttled.
func (d *fakeDev) flush(id uint32) {
	p := d.ports[id]
	q := &d.queues[3+2*id]
	if p == nil || !p.hostConnected {
		for { // discard_vq_data
			qid, _, _, ok := d.pop(q)
			if !ok {
				break
			}
			d.push(q, qid, 0)
		}
		d.interrupt(q)
		return
	}
	pushed := false
	for p.outLimit == 0 || len(p.out) < p.outLimit {
		qid, buf, w, ok := d.pop(q)
		if !ok {
			break
		}
		if w {
			panic("transmit buffer the device would write")
		}
		p.out = append(p.out, buf...)
		d.push(q, qid, 0)
		pushed = true
	}
	if pushed {
		d.interrupt(q)
	}
}

// hostRead takes what the guest sent on port id (the host reader
// catching up) and lets a throttled port go on.
func (d *fakeDev) hostRead(id uint32) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.ports[id]
	b := p.out
	p.out = nil
	d.flush(id)
	return b
}

// hostWrite queues data for the guest on port id; the I/O thread
// (hostLoop) delivers it.
func (d *fakeDev) hostWrite(id uint32, b []byte) {
	d.mu.Lock()
	d.ports[id].in = append(d.ports[id].in, b...)
	d.cond.Broadcast()
	d.mu.Unlock()
}

// hostClose closes port id's character device once its input is
// delivered; with drop, at once (the reader went away).
func (d *fakeDev) hostClose(id uint32, drop bool) {
	d.mu.Lock()
	p := d.ports[id]
	p.closing = true
	if drop {
		p.in = nil
	}
	d.cond.Broadcast()
	d.mu.Unlock()
}

// hostLoop is QEMU's I/O thread for the host-to-guest direction: it
// writes pending input into receive buffers, 4096 bytes at most per
// buffer, while the guest has buffers, and closes ports whose input is
// done (virtio_serial_close: discard the guest's output, PORT_OPEN 0).
func (d *fakeDev) hostLoop(stop chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		select {
		case <-stop:
			return
		default:
		}
		progress := false
		for id, p := range d.ports {
			q := &d.queues[2+2*id]
			for len(p.in) > 0 && p.guestConnected {
				qid, buf, w, ok := d.pop(q)
				if !ok {
					break
				}
				if !w {
					panic("receive buffer the device cannot write")
				}
				n := copy(buf[:min(len(buf), 4096)], p.in)
				p.in = p.in[n:]
				d.push(q, qid, n)
				d.interrupt(q)
				progress = true
			}
			if p.closing && len(p.in) == 0 && p.hostConnected {
				p.hostConnected = false
				d.flush(id)
				d.sendControl(id, CtrlPortOpen, 0)
				progress = true
			}
		}
		if !progress {
			d.cond.Wait()
		}
	}
}
