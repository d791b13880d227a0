// Package virtio drives virtio devices (the OASIS "Virtual I/O Device"
// specification, version 1.x): split virtqueues (§2.7), the virtio-mmio
// transport in its version 2 ("modern") register layout (§4.2), the
// console device with the MULTIPORT feature (§5.3), which carries
// `oyako run`'s standard streams, and the network device (§5.1), eth0.
//
// The package touches no hardware. Registers are reached through the Regs
// interface and device-visible memory comes from a Memory, so the kernel
// supplies MMIO pointers and physical frames while the host tests supply a
// simulated device (a model of QEMU's virtio-serial) over ordinary memory.
// What runs in interrupt context (acknowledging the interrupt) is the
// kernel's: this package is ordinary Go that may allocate and block.
//
// Limits: buffers are single descriptors (no chains, no indirect
// descriptors), interrupts are suppressed with VIRTQ_AVAIL_F_NO_INTERRUPT
// rather than event indexes, the packed ring layout is not offered, and a
// device is set up once (no reset or hot removal).
package virtio

import (
	"sync/atomic"
	"unsafe"
)

// Descriptor and ring flags (§2.7.5, §2.7.6, §2.7.8).
const (
	descFNext  = 1 // VIRTQ_DESC_F_NEXT
	descFWrite = 2 // VIRTQ_DESC_F_WRITE: the device writes the buffer

	availFNoInterrupt = 1 // VIRTQ_AVAIL_F_NO_INTERRUPT
	usedFNoNotify     = 1 // VIRTQ_USED_F_NO_NOTIFY
)

// desc is struct virtq_desc.
type desc struct {
	addr  uint64
	len   uint32
	flags uint16
	next  uint16
}

// usedElem is struct virtq_used_elem.
type usedElem struct {
	id  uint32
	len uint32
}

// Alignment the split ring's parts need (§2.7: descriptor table 16, driver
// area 2, device area 4).
const (
	descAlign = 16
	usedAlign = 4
)

// ringOffsets returns where the driver area (the avail ring) and the
// device area (the used ring) start in a queue of size n laid out as
// descriptors, then avail, then used, and the total size.
func ringOffsets(n int) (avail, used, total int) {
	avail = 16 * n
	used = avail + 4 + 2*n + 2 // flags, idx, ring[n], used_event
	used = (used + usedAlign - 1) &^ (usedAlign - 1)
	total = used + 4 + 8*n + 2 // flags, idx, ring[n], avail_event
	return
}

// QueueBytes is the memory a queue of size n needs.
func QueueBytes(n int) int {
	_, _, total := ringOffsets(n)
	return total
}

// Queue is the driver's side of a split virtqueue (§2.7). Each buffer is
// one descriptor; the descriptor's index identifies the buffer when the
// device returns it. A Queue is not safe for concurrent use: its owner
// serializes calls.
//
// Memory order: the device reads descriptors and avail entries after it
// reads the avail index, so they are written first and the index is
// published with an atomic store (a full barrier on x86, and an ordering
// point for the compiler); likewise used entries are read only after an
// atomic load of the used index.
type Queue struct {
	// Index is the queue's number in its device.
	Index int
	// DescAddr, AvailAddr and UsedAddr are the device addresses of the
	// three parts, for the transport to program.
	DescAddr, AvailAddr, UsedAddr uint64

	size      uint16
	descs     []desc
	availHdr  *uint32 // flags | idx<<16, written only by the driver
	availRing []uint16
	usedHdr   *uint32 // flags | idx<<16, written only by the device
	usedRing  []usedElem

	free       []uint16 // descriptor indexes not in use
	availIdx   uint16
	availFlags uint16
	lastUsed   uint16
}

// NewQueue lays out a queue of size n (a power of two) over mem, which
// must hold QueueBytes(n) zeroed bytes, be 16-byte aligned, and be seen by
// the device at address phys.
func NewQueue(index int, mem []byte, phys uint64, n int) *Queue {
	if n <= 0 || n > 1<<15 || n&(n-1) != 0 {
		panic("virtio: queue size must be a power of two up to 32768")
	}
	availOff, usedOff, total := ringOffsets(n)
	if len(mem) < total || uintptr(unsafe.Pointer(&mem[0]))%descAlign != 0 {
		panic("virtio: queue memory too small or misaligned")
	}
	q := &Queue{
		Index:     index,
		DescAddr:  phys,
		AvailAddr: phys + uint64(availOff),
		UsedAddr:  phys + uint64(usedOff),
		size:      uint16(n),
		descs:     unsafe.Slice((*desc)(unsafe.Pointer(&mem[0])), n),
		availHdr:  (*uint32)(unsafe.Pointer(&mem[availOff])),
		availRing: unsafe.Slice((*uint16)(unsafe.Pointer(&mem[availOff+4])), n),
		usedHdr:   (*uint32)(unsafe.Pointer(&mem[usedOff])),
		usedRing:  unsafe.Slice((*usedElem)(unsafe.Pointer(&mem[usedOff+4])), n),
	}
	q.free = make([]uint16, n)
	for i := range q.free {
		q.free[i] = uint16(n - 1 - i) // hand out 0, 1, 2, ... first
	}
	return q
}

// Size is the number of descriptors.
func (q *Queue) Size() int { return int(q.size) }

// NumFree is the number of descriptors not given to the device.
func (q *Queue) NumFree() int { return len(q.free) }

// PeekFree returns the descriptor index the next Add will use.
func (q *Queue) PeekFree() (uint16, bool) {
	if len(q.free) == 0 {
		return 0, false
	}
	return q.free[len(q.free)-1], true
}

// Add makes a buffer of length bytes at device address addr available to
// the device, as a buffer it reads (a transmit buffer) or, if
// deviceWrites, one it fills (a receive buffer). It returns the
// descriptor's index, or false when every descriptor is in use. The device
// sees the buffer only after Publish.
func (q *Queue) Add(addr uint64, length uint32, deviceWrites bool) (uint16, bool) {
	if len(q.free) == 0 {
		return 0, false
	}
	id := q.free[len(q.free)-1]
	q.free = q.free[:len(q.free)-1]
	d := &q.descs[id]
	d.addr = addr
	d.len = length
	d.flags = 0
	if deviceWrites {
		d.flags = descFWrite
	}
	d.next = 0
	q.availRing[q.availIdx%q.size] = id
	q.availIdx++
	return id, true
}

// Publish makes the buffers added since the last Publish visible to the
// device (§2.7.13.3: the index is updated after the ring entries).
func (q *Queue) Publish() {
	atomic.StoreUint32(q.availHdr, uint32(q.availFlags)|uint32(q.availIdx)<<16)
}

// NeedsNotify reports whether the device asked to be told about new
// buffers (it clears VIRTQ_USED_F_NO_NOTIFY when it wants notifications).
func (q *Queue) NeedsNotify() bool {
	return atomic.LoadUint32(q.usedHdr)&usedFNoNotify == 0
}

// SetInterrupts asks the device to interrupt (on) or not (off) when it
// returns buffers. It is a hint: the device may interrupt anyway, and a
// driver that turns interrupts on must look at the used ring once more
// afterwards, since buffers may have come back while they were off.
func (q *Queue) SetInterrupts(on bool) {
	if on {
		q.availFlags &^= availFNoInterrupt
	} else {
		q.availFlags |= availFNoInterrupt
	}
	q.Publish()
}

// usedIdx is the device's used index.
func (q *Queue) usedIdx() uint16 { return uint16(atomic.LoadUint32(q.usedHdr) >> 16) }

// HasUsed reports whether the device has returned buffers not yet taken
// with Used.
func (q *Queue) HasUsed() bool { return q.usedIdx() != q.lastUsed }

// Used takes the next buffer the device returned: its descriptor index and
// the number of bytes the device wrote into it (0 for buffers it read).
// The descriptor is free again afterwards.
func (q *Queue) Used() (id uint16, written uint32, ok bool) {
	if q.usedIdx() == q.lastUsed {
		return 0, 0, false
	}
	e := q.usedRing[q.lastUsed%q.size]
	q.lastUsed++
	if e.id >= uint32(q.size) {
		panic("virtio: device returned a descriptor index out of range")
	}
	id = uint16(e.id)
	q.free = append(q.free, id)
	return id, e.len, true
}

// InFlight is the number of buffers the device holds.
func (q *Queue) InFlight() int { return int(q.size) - len(q.free) }
