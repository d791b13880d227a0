package uring

import (
	"encoding/binary"
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Provided buffers (io_uring/kbuf.c): groups of buffers the process
// hands the kernel so that a receive picks its buffer when data comes
// (IOSQE_BUFFER_SELECT), not when it is submitted; the CQE names the
// buffer it used (IORING_CQE_F_BUFFER and its ID in the upper 16 bits).
// A group is either a list filled by IORING_OP_PROVIDE_BUFFERS and
// emptied by REMOVE_BUFFERS and by use, or a ring in the process's
// memory registered with IORING_REGISTER_PBUF_RING, which the process
// refills by advancing the ring's tail.

// Limits and layout (io_uring/kbuf.h, include/uapi/linux/io_uring.h).
const (
	maxBidsPerGroup = 1 << 16 // MAX_BIDS_PER_BGID
	maxRWCount      = 0x7ffff000
	bufRingEntry    = 16 // struct io_uring_buf {u64 addr; u32 len; u16 bid; u16 resv}
	bufRegSize      = 40 // struct io_uring_buf_reg
	pageSize        = 4096
)

// pbuf is one provided buffer (struct io_buffer).
type pbuf struct {
	addr uint64
	len  uint32
	bid  uint16
}

// bufGroup is a buffer group (struct io_buffer_list): a list of
// provided buffers, or, when ring is set, a buffer ring of entries
// entries at addr whose kernel-side head is head.
type bufGroup struct {
	list    []pbuf
	ring    bool
	addr    uint64
	entries uint32
	head    uint16
}

// bufGroups are a ring's buffer groups. mu is held from a selection to
// its commit or recycle, as Linux holds uring_lock around a locked
// issue, so that two requests never take the same ring entry; the
// transfer in between must not wait (requests are issued with waits
// refused). The listed buffers and the groups are kernel memory a
// process sizes: they are charged with the requests (chargeReq: a page
// per 256 entries, a group counting as groupEntries), and given back
// when the ring goes (release).
type bufGroups struct {
	mu      sync.Mutex
	groups  map[uint16]*bufGroup
	entries int   // listed buffers, plus groupEntries per group
	pages   int64 // charged for entries
	dead    bool  // the ring was released
}

// groupEntries is what a group costs, in listed buffers.
const groupEntries = 4

// entriesPerPage is how many listed buffers a charged page holds.
const entriesPerPage = pageSize / 16

// grow accounts n more entries: ENOMEM when the allowance is spent.
// The caller holds bg.mu.
func (bg *bufGroups) grow(n int) error {
	need := int64((bg.entries + n + entriesPerPage - 1) / entriesPerPage)
	if need > bg.pages {
		if !chargeReq(int(need - bg.pages)) {
			return linuxerr.ENOMEM
		}
		bg.pages = need
	}
	bg.entries += n
	return nil
}

// shrink accounts n fewer entries. The caller holds bg.mu.
func (bg *bufGroups) shrink(n int) {
	bg.entries -= n
	if need := int64((bg.entries + entriesPerPage - 1) / entriesPerPage); need < bg.pages {
		unchargeReq(int(bg.pages - need))
		bg.pages = need
	}
}

// release drops every group and gives their charge back: the ring is
// gone (a selection in progress still ends normally).
func (bg *bufGroups) release() {
	if bg == nil {
		return
	}
	bg.mu.Lock()
	defer bg.mu.Unlock()
	unchargeReq(int(bg.pages))
	bg.pages, bg.entries, bg.groups, bg.dead = 0, 0, nil, true
}

// pbufs returns the ring's buffer groups, made on first use.
func (ring *Ring) pbufs() *bufGroups {
	ring.mu.Lock()
	defer ring.mu.Unlock()
	if ring.res.pbufs == nil {
		ring.res.pbufs = &bufGroups{groups: map[uint16]*bufGroup{}, dead: ring.closed}
	}
	return ring.res.pbufs
}

// group returns group gid, made (and charged) if create is set and it
// does not exist. The caller holds bg.mu.
func (bg *bufGroups) group(gid uint16, create bool) (*bufGroup, error) {
	g := bg.groups[gid]
	if g != nil || !create {
		return g, nil
	}
	if bg.dead {
		return nil, linuxerr.ECANCELED
	}
	if err := bg.grow(groupEntries); err != nil {
		return nil, err
	}
	g = &bufGroup{}
	bg.groups[gid] = g
	return g, nil
}

// Selected is a buffer a request took from a group (req->kbuf, or
// a ring entry not yet committed). Its owner calls Commit when the
// transfer used it or Recycle when it did not, which ends the
// selection.
type Selected struct {
	Addr uint64
	Len  uint32
	ID   uint16
	bg   *bufGroups
	g    *bufGroup
}

// SelectBuffer takes a buffer of group gid for a transfer of want bytes
// (io_buffer_select): the first one of a list, or the ring's entry at
// its head. The transfer's length is the buffer's when want is 0 or
// larger. ENOBUFS when the group has none (or does not exist).
func (ring *Ring) SelectBuffer(t Task, gid uint16, want uint32) (*Selected, error) {
	bg := ring.pbufs()
	bg.mu.Lock()
	g := bg.groups[gid]
	var b pbuf
	switch {
	case g == nil:
		bg.mu.Unlock()
		return nil, linuxerr.ENOBUFS
	case g.ring:
		var err error
		if b, err = g.ringHead(t); err != nil {
			bg.mu.Unlock()
			return nil, err
		}
	default:
		if len(g.list) == 0 {
			bg.mu.Unlock()
			return nil, linuxerr.ENOBUFS
		}
		b = g.list[0]
		g.list = g.list[1:]
		bg.shrink(1)
	}
	if want == 0 || want > b.len {
		want = b.len
	}
	return &Selected{Addr: b.addr, Len: want, ID: b.bid, bg: bg, g: g}, nil
}

// ringHead reads the ring entry at the head (io_ring_buffer_select): the
// tail is the process's, in the reserved field of the first entry;
// ENOBUFS when head meets it.
func (g *bufGroup) ringHead(t Task) (pbuf, error) {
	var tb [2]byte
	if err := t.CopyIn(uintptr(g.addr+14), tb[:]); err != nil {
		return pbuf{}, linuxerr.ENOBUFS
	}
	if binary.LittleEndian.Uint16(tb[:]) == g.head {
		return pbuf{}, linuxerr.ENOBUFS
	}
	var e [bufRingEntry]byte
	off := uint64(uint32(g.head)&(g.entries-1)) * bufRingEntry
	if err := t.CopyIn(uintptr(g.addr+off), e[:]); err != nil {
		return pbuf{}, linuxerr.ENOBUFS
	}
	le := binary.LittleEndian
	return pbuf{addr: le.Uint64(e[0:]), len: min(le.Uint32(e[8:]), maxRWCount), bid: le.Uint16(e[12:])}, nil
}

// Commit consumes the buffer (io_put_kbuf): a ring's head moves past it;
// a listed buffer was taken off its list already. It returns the CQE
// flags that name it.
func (s *Selected) Commit() uint32 {
	if s.g.ring {
		s.g.head++
	}
	s.bg.mu.Unlock()
	return CQEFBuffer | uint32(s.ID)<<CQEBufferShift
}

// Recycle gives the buffer back unused (io_kbuf_recycle): a listed one
// goes back at the front of its list, a ring entry simply stays at the
// head.
func (s *Selected) Recycle() {
	if !s.g.ring && !s.bg.dead && s.bg.grow(1) == nil {
		s.g.list = append([]pbuf{{s.Addr, s.Len, s.ID}}, s.g.list...)
	}
	s.bg.mu.Unlock()
}

// provideData is IORING_OP_PROVIDE_BUFFERS' and REMOVE_BUFFERS'
// arguments (struct io_provide_buf).
type provideData struct {
	nbufs uint32
	gid   uint16
	addr  uint64
	len   uint32
	bid   uint16
}

// prepProvide is io_provide_buffers_prep: 1 to 65536 buffers (E2BIG),
// of a non-zero length (EINVAL) whose total neither overflows nor wraps
// the address space (EOVERFLOW) and lies in user memory (EFAULT), with
// IDs from sqe->off that stay below 65536 (E2BIG, then EINVAL).
func prepProvide(r *Req) error {
	s := &r.SQE
	if err := NoFields(uint64(s.OpFlags), uint64(uint32(s.FileIndex))); err != nil {
		return err
	}
	n := uint64(uint32(s.Fd))
	if n == 0 || n > maxBidsPerGroup {
		return linuxerr.E2BIG
	}
	if s.Len == 0 {
		return linuxerr.EINVAL
	}
	size := uint64(s.Len) * n
	if s.Addr+size < s.Addr {
		return linuxerr.EOVERFLOW
	}
	if s.Addr+size > userTop {
		return linuxerr.EFAULT
	}
	if s.Off > 0xffff {
		return linuxerr.E2BIG
	}
	if s.Off+n > maxBidsPerGroup {
		return linuxerr.EINVAL
	}
	r.Data = &provideData{nbufs: uint32(n), gid: s.BufIndex, addr: s.Addr, len: s.Len, bid: uint16(s.Off)}
	return nil
}

// userTop is where the user half of the address space ends (TASK_SIZE):
// access_ok's limit.
const userTop = 1<<47 - 4096

// issueProvide is io_provide_buffers: the group is made if needed; a
// ring group takes no listed buffers (EINVAL); at most 65535 buffers per
// group (EOVERFLOW once full, after adding what fits).
func issueProvide(r *Req) (int32, error) {
	d := r.Data.(*provideData)
	bg := r.Ring.pbufs()
	bg.mu.Lock()
	defer bg.mu.Unlock()
	g, err := bg.group(d.gid, true)
	if err != nil {
		return 0, err
	}
	if g.ring {
		return 0, linuxerr.EINVAL
	}
	addr, bid := d.addr, d.bid
	for i := uint32(0); i < d.nbufs; i++ {
		if len(g.list) == 0xffff {
			err = linuxerr.EOVERFLOW
		} else {
			err = bg.grow(1)
		}
		if err != nil {
			if i == 0 {
				return 0, err
			}
			break
		}
		g.list = append(g.list, pbuf{addr: addr, len: min(d.len, maxRWCount), bid: bid})
		addr += uint64(d.len)
		bid++
	}
	return 0, nil
}

// prepRemove is io_remove_buffers_prep: 1 to 65536 buffers, nothing
// but the count and the group (EINVAL).
func prepRemove(r *Req) error {
	s := &r.SQE
	if err := NoFields(uint64(s.OpFlags), s.Addr, uint64(s.Len), s.Off, uint64(uint32(s.FileIndex))); err != nil {
		return err
	}
	n := uint64(uint32(s.Fd))
	if n == 0 || n > maxBidsPerGroup {
		return linuxerr.EINVAL
	}
	r.Data = &provideData{nbufs: uint32(n), gid: s.BufIndex}
	return nil
}

// issueRemove is io_remove_buffers: the result is how many buffers were
// removed from the front of the list (0 for an empty group); ENOENT for
// no such group, EINVAL for a ring.
func issueRemove(r *Req) (int32, error) {
	d := r.Data.(*provideData)
	bg := r.Ring.pbufs()
	bg.mu.Lock()
	defer bg.mu.Unlock()
	g := bg.groups[d.gid]
	switch {
	case g == nil:
		return 0, linuxerr.ENOENT
	case g.ring:
		return 0, linuxerr.EINVAL
	}
	n := min(int(d.nbufs), len(g.list))
	g.list = g.list[n:]
	bg.shrink(n)
	return int32(n), nil
}

// readBufReg reads struct io_uring_buf_reg {u64 ring_addr; u32
// ring_entries; u16 bgid; u16 flags; u64 resv[3]}: EINVAL for a non-zero
// reserved word.
func readBufReg(t Task, arg uint64) (addr uint64, entries uint32, gid, flags uint16, err error) {
	var b [bufRegSize]byte
	if err := t.CopyIn(uintptr(arg), b[:]); err != nil {
		return 0, 0, 0, 0, err
	}
	le := binary.LittleEndian
	for i := 16; i < bufRegSize; i++ {
		if b[i] != 0 {
			return 0, 0, 0, 0, linuxerr.EINVAL
		}
	}
	return le.Uint64(b[0:]), le.Uint32(b[8:]), le.Uint16(b[12:]), le.Uint16(b[14:]), nil
}

// registerPbufRing is IORING_REGISTER_PBUF_RING (io_register_pbuf_ring):
// one struct io_uring_buf_reg; a power-of-two number of entries below
// 65536; not a group that is a ring or has listed buffers (EEXIST; an
// empty listed group is replaced); the ring page-aligned (EINVAL) and
// mapped (EFAULT, where Linux pins it). Flags (IOU_PBUF_RING_MMAP, a
// kernel-allocated ring, and IOU_PBUF_RING_INC) are not supported:
// EINVAL.
func (ring *Ring) registerPbufRing(t Task, arg uint64, nr uint32) error {
	if arg == 0 || nr != 1 {
		return linuxerr.EINVAL
	}
	addr, entries, gid, flags, err := readBufReg(t, arg)
	if err != nil {
		return err
	}
	if flags != 0 || entries == 0 || entries&(entries-1) != 0 || entries >= 1<<16 {
		return linuxerr.EINVAL
	}
	bg := ring.pbufs()
	bg.mu.Lock()
	defer bg.mu.Unlock()
	old := bg.groups[gid]
	if old != nil && (old.ring || len(old.list) > 0) {
		return linuxerr.EEXIST
	}
	if addr%pageSize != 0 {
		return linuxerr.EINVAL
	}
	size := uint64(entries) * bufRingEntry
	var one [1]byte
	for off := uint64(0); off < size; off += pageSize {
		if t.CopyIn(uintptr(addr+off), one[:]) != nil {
			return linuxerr.EFAULT
		}
	}
	if old == nil {
		if _, err := bg.group(gid, true); err != nil {
			return err
		}
	}
	*bg.groups[gid] = bufGroup{ring: true, addr: addr, entries: entries}
	return nil
}

// unregisterPbufRing is IORING_UNREGISTER_PBUF_RING: ENOENT for no such
// group, EINVAL for flags or a group that is not a ring.
func (ring *Ring) unregisterPbufRing(t Task, arg uint64, nr uint32) error {
	if arg == 0 || nr != 1 {
		return linuxerr.EINVAL
	}
	_, _, gid, flags, err := readBufReg(t, arg)
	if err != nil {
		return err
	}
	if flags != 0 {
		return linuxerr.EINVAL
	}
	bg := ring.pbufs()
	bg.mu.Lock()
	defer bg.mu.Unlock()
	g := bg.groups[gid]
	switch {
	case g == nil:
		return linuxerr.ENOENT
	case !g.ring:
		return linuxerr.EINVAL
	}
	delete(bg.groups, gid)
	bg.shrink(groupEntries)
	return nil
}

func init() {
	Register(OpProvideBuffers, &Op{Name: "PROVIDE_BUFFERS", Prep: prepProvide, Issue: issueProvide})
	Register(OpRemoveBuffers, &Op{Name: "REMOVE_BUFFERS", Prep: prepRemove, Issue: issueRemove})
}
