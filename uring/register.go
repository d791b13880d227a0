package uring

import (
	"encoding/binary"
	"math"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

// io_uring_register opcodes (IORING_REGISTER_*).
const (
	RegisterBuffers           = 0
	UnregisterBuffers         = 1
	RegisterFiles             = 2
	UnregisterFiles           = 3
	RegisterEventfd           = 4
	UnregisterEventfd         = 5
	RegisterFilesUpdate       = 6
	RegisterEventfdAsync      = 7
	RegisterProbe             = 8
	RegisterPersonality       = 9
	UnregisterPersonality     = 10
	RegisterRestrictions      = 11
	RegisterEnableRings       = 12
	RegisterFiles2            = 13
	RegisterFilesUpdate2      = 14
	RegisterBuffers2          = 15
	RegisterBuffersUpdate     = 16
	RegisterIOWQAff           = 17
	UnregisterIOWQAff         = 18
	RegisterIOWQMaxWorkers    = 19
	RegisterRingFds           = 20
	UnregisterRingFds         = 21
	RegisterPbufRing          = 22
	UnregisterPbufRing        = 23
	RegisterSyncCancel        = 24
	RegisterFileAllocRange    = 25
	RegisterUseRegisteredRing = 1 << 31
	// RegisterLast is Linux 6.18's IORING_REGISTER_LAST: io_uring_register
	// refuses opcodes from it on before it looks at the descriptor; the
	// ones below it that oyako does not implement are EINVAL once the
	// ring is found.
	RegisterLast = 36

	maxRegBuffers      = 1 << 14 // IORING_MAX_REG_BUFFERS
	maxFixedFiles      = 1 << 20 // IORING_MAX_FIXED_FILES
	filesSkip          = -2      // IORING_REGISTER_FILES_SKIP
	rsrcRegisterSparse = 1       // IORING_RSRC_REGISTER_SPARSE
	opSupported        = 1       // IO_URING_OP_SUPPORTED
)

// resources are a ring's registered files, buffers and eventfd (under
// Ring.mu).
type resources struct {
	files    []*fs.File
	fileTags []uint64
	filesOn  bool
	bufs     []regBuf
	bufTags  []uint64
	bufsOn   bool
	eventfd  *fs.File
	evAsync  bool
	iowqMax  [2]uint32
	// tagUsers counts the requests using a registered file or buffer
	// of each tag, tagsOwed the tag CQEs that wait for them (see
	// postTags).
	tagUsers map[uint64]int
	tagsOwed map[uint64]int
	pbufs    *bufGroups // provided buffers (buffers.go), under their own lock
	// allocHint is where the search for a free file slot starts
	// (file_table.alloc_hint; files.go).
	allocHint int
}

// regBuf is a registered buffer (io_mapped_ubuf): a range of the
// process's memory that READ_FIXED and WRITE_FIXED address.
type regBuf struct{ addr, len uint64 }

// Register implements io_uring_register(2)'s operations on the ring,
// with t the calling thread, after the argument checks of
// __io_uring_register.
func (ring *Ring) Register(t Task, op uint32, arg uint64, nr uint32) (int32, error) {
	switch op {
	case RegisterBuffers:
		if arg == 0 {
			return 0, linuxerr.EFAULT
		}
		return 0, ring.registerBuffers(t, arg, nr, 0, false)
	case RegisterBuffers2:
		return 0, ring.registerRsrc2(t, arg, nr, true)
	case UnregisterBuffers:
		if arg != 0 || nr != 0 {
			return 0, linuxerr.EINVAL
		}
		return 0, ring.unregisterBuffers()
	case RegisterFiles:
		if arg == 0 {
			return 0, linuxerr.EFAULT
		}
		return 0, ring.registerFiles(t, arg, nr, 0, false)
	case RegisterFiles2:
		return 0, ring.registerRsrc2(t, arg, nr, false)
	case UnregisterFiles:
		if arg != 0 || nr != 0 {
			return 0, linuxerr.EINVAL
		}
		return 0, ring.unregisterFiles()
	case RegisterFilesUpdate:
		return ring.filesUpdate(t, arg, nr)
	case RegisterFilesUpdate2, RegisterBuffersUpdate:
		return ring.rsrcUpdate2(t, arg, nr, op == RegisterBuffersUpdate)
	case RegisterEventfd, RegisterEventfdAsync:
		if nr != 1 {
			return 0, linuxerr.EINVAL
		}
		return 0, ring.registerEventfd(t, arg, op == RegisterEventfdAsync)
	case UnregisterEventfd:
		if arg != 0 || nr != 0 {
			return 0, linuxerr.EINVAL
		}
		ring.mu.Lock()
		defer ring.mu.Unlock()
		if ring.res.eventfd == nil {
			return 0, linuxerr.ENXIO
		}
		ring.res.eventfd.DecRef()
		ring.res.eventfd = nil
		ring.hasEventfd.Store(false)
		return 0, nil
	case RegisterProbe:
		if arg == 0 || nr > 256 {
			return 0, linuxerr.EINVAL
		}
		return 0, probe(t, arg, nr)
	case RegisterIOWQMaxWorkers:
		if arg == 0 || nr != 2 {
			return 0, linuxerr.EINVAL
		}
		return 0, ring.iowqMaxWorkers(t, arg)
	case RegisterPbufRing:
		return 0, ring.registerPbufRing(t, arg, nr)
	case UnregisterPbufRing:
		return 0, ring.unregisterPbufRing(t, arg, nr)
	case RegisterSyncCancel:
		return ring.syncCancel(t, arg, nr)
	}
	return 0, linuxerr.EINVAL
}

// readU64s reads n little-endian words of size bytes each at addr.
func readWords(t Task, addr uint64, n uint32, size int) ([]uint64, error) {
	b := make([]byte, int(n)*size)
	if err := t.CopyIn(uintptr(addr), b); err != nil {
		return nil, err
	}
	out := make([]uint64, n)
	for i := range out {
		if size == 4 {
			out[i] = uint64(binary.LittleEndian.Uint32(b[i*4:]))
		} else {
			out[i] = binary.LittleEndian.Uint64(b[i*8:])
		}
	}
	return out, nil
}

// readIovecs reads n struct iovec.
func readIovecs(t Task, addr uint64, n uint32) ([]regBuf, error) {
	w, err := readWords(t, addr, 2*n, 8)
	if err != nil {
		return nil, err
	}
	out := make([]regBuf, n)
	for i := range out {
		out[i] = regBuf{w[2*i], w[2*i+1]}
	}
	return out, nil
}

// Pinnable reports whether [addr, addr+length) of t's memory is mapped
// and writable throughout, as pin_user_pages(FOLL_WRITE|FOLL_LONGTERM)
// requires of a registered buffer (io_pin_pages). The system-call layer
// sets it.
var Pinnable func(t Task, addr, length uint64) bool

// checkBuffer validates a buffer to register (io_buffer_validate,
// io_sqe_buffer_register): a NULL base is a sparse slot only with length
// 0; at most 1 GiB, not wrapping; its memory must be mapped and writable
// (Linux pins it: EFAULT otherwise). Pages are not pinned here: a buffer
// is looked up by address at each use (see the package doc).
func checkBuffer(t Task, b regBuf) error {
	if b.addr == 0 {
		if b.len != 0 {
			return linuxerr.EFAULT
		}
		return nil
	}
	if b.len > 1<<30 || b.len == 0 {
		return linuxerr.EFAULT
	}
	if acct := (b.len + 4095) &^ 4095; b.addr+acct < b.addr {
		return linuxerr.EOVERFLOW
	}
	if Pinnable != nil && !Pinnable(t, b.addr, b.len) {
		return linuxerr.EFAULT
	}
	return nil
}

func (ring *Ring) registerBuffers(t Task, arg uint64, nr uint32, tagsAddr uint64, sparse bool) error {
	ring.mu.Lock()
	busy := ring.res.bufsOn
	ring.mu.Unlock()
	if busy {
		return linuxerr.EBUSY
	}
	if nr == 0 || nr > maxRegBuffers {
		return linuxerr.EINVAL
	}
	bufs := make([]regBuf, nr)
	if !sparse {
		var err error
		if bufs, err = readIovecs(t, arg, nr); err != nil {
			return err
		}
	}
	tags := make([]uint64, nr)
	if tagsAddr != 0 {
		var err error
		if tags, err = readWords(t, tagsAddr, nr, 8); err != nil {
			return err
		}
	}
	for i, b := range bufs {
		if err := checkBuffer(t, b); err != nil {
			return err
		}
		if b.addr == 0 && tags[i] != 0 {
			return linuxerr.EINVAL
		}
	}
	ring.mu.Lock()
	defer ring.mu.Unlock()
	if ring.res.bufsOn {
		return linuxerr.EBUSY
	}
	ring.res.bufs, ring.res.bufTags, ring.res.bufsOn = bufs, tags, true
	return nil
}

func (ring *Ring) unregisterBuffers() error {
	ring.mu.Lock()
	if !ring.res.bufsOn {
		ring.mu.Unlock()
		return linuxerr.ENXIO
	}
	tags := ring.res.bufTags
	ring.res.bufs, ring.res.bufTags, ring.res.bufsOn = nil, nil, false
	ring.mu.Unlock()
	ring.postTags(tags)
	return nil
}

// postTags posts the CQEs of tagged resources that left their table
// (IORING_FEAT_RSRC_TAGS: user_data is the tag, res 0), each once no
// request uses it any more: Linux posts a tag when the last reference to
// its io_rsrc_node goes (io_free_rsrc_node), and a request holds one from
// the moment it takes the file or buffer until it is freed, after its
// own CQE. A tag is how a resource is known here, so two slots the
// process gave the same tag wait for each other's requests.
func (ring *Ring) postTags(tags []uint64) {
	var now []uint64
	ring.mu.Lock()
	for _, tag := range tags {
		if tag == 0 {
			continue
		}
		if ring.res.tagUsers[tag] > 0 {
			if ring.res.tagsOwed == nil {
				ring.res.tagsOwed = map[uint64]int{}
			}
			ring.res.tagsOwed[tag]++
			continue
		}
		now = append(now, tag)
	}
	ring.mu.Unlock()
	for _, tag := range now {
		ring.post(CQE{UserData: tag})
	}
}

// holdTagLocked records that r uses a registered resource tagged tag
// (under ring.mu).
func (ring *Ring) holdTagLocked(r *Req, tag uint64) {
	if tag == 0 {
		return
	}
	if ring.res.tagUsers == nil {
		ring.res.tagUsers = map[uint64]int{}
	}
	ring.res.tagUsers[tag]++
	r.tags = append(r.tags, tag)
}

// releaseTags drops the tags r held, posting those owed once their last
// user is done.
func (ring *Ring) releaseTags(r *Req) {
	if len(r.tags) == 0 {
		return
	}
	var now []uint64
	ring.mu.Lock()
	for _, tag := range r.tags {
		if ring.res.tagUsers[tag] == 0 {
			continue // the ring was released meanwhile
		}
		if ring.res.tagUsers[tag]--; ring.res.tagUsers[tag] > 0 {
			continue
		}
		delete(ring.res.tagUsers, tag)
		for ; ring.res.tagsOwed[tag] > 0; ring.res.tagsOwed[tag]-- {
			now = append(now, tag)
		}
		delete(ring.res.tagsOwed, tag)
	}
	r.tags = nil
	ring.mu.Unlock()
	for _, tag := range now {
		ring.post(CQE{UserData: tag})
	}
}

// FixedBuffer returns registered buffer i for request r (READ_FIXED,
// WRITE_FIXED), which holds it until it completes: EFAULT for an index
// out of range or an empty slot, as io_import_reg_buf answers when
// io_find_buf_node finds no node.
func (ring *Ring) FixedBuffer(r *Req, i uint16) (addr, length uint64, err error) {
	ring.mu.Lock()
	defer ring.mu.Unlock()
	if int(i) >= len(ring.res.bufs) || ring.res.bufs[i].addr == 0 {
		return 0, 0, linuxerr.EFAULT
	}
	b := ring.res.bufs[i]
	ring.holdTagLocked(r, ring.res.bufTags[i])
	return b.addr, b.len, nil
}

// ringFile reports whether f is an io_uring file (rings cannot be
// registered in rings: EBADF, as io_sqe_files_register refuses).
var IsRingFile func(f *fs.File) bool

// NoFileLimit returns t's RLIMIT_NOFILE, which bounds a registered file
// table as it bounds the descriptor table (io_sqe_files_register).
var NoFileLimit func(t Task) uint64

func (ring *Ring) getRegFile(t Task, fd int32) (*fs.File, error) {
	f, err := Host.GetFile(t, fd)
	if err != nil {
		return nil, err
	}
	if IsRingFile != nil && IsRingFile(f) {
		f.DecRef()
		return nil, linuxerr.EBADF
	}
	return f, nil
}

func (ring *Ring) registerFiles(t Task, arg uint64, nr uint32, tagsAddr uint64, sparse bool) error {
	ring.mu.Lock()
	busy := ring.res.filesOn
	ring.mu.Unlock()
	if busy {
		return linuxerr.EBUSY
	}
	if nr == 0 {
		return linuxerr.EINVAL
	}
	if nr > maxFixedFiles || uint64(nr) > NoFileLimit(t) {
		return linuxerr.EMFILE
	}
	fds := make([]uint64, nr)
	for i := range fds {
		fds[i] = uint64(0xffffffff)
	}
	if !sparse {
		var err error
		if fds, err = readWords(t, arg, nr, 4); err != nil {
			return err
		}
	}
	tags := make([]uint64, nr)
	if tagsAddr != 0 {
		var err error
		if tags, err = readWords(t, tagsAddr, nr, 8); err != nil {
			return err
		}
	}
	files := make([]*fs.File, nr)
	drop := func() {
		for _, f := range files {
			if f != nil {
				f.DecRef()
			}
		}
	}
	for i, v := range fds {
		fd := int32(v)
		if fd == -1 {
			if tags[i] != 0 {
				drop()
				return linuxerr.EINVAL
			}
			continue
		}
		// IORING_REGISTER_FILES_SKIP (-2) means nothing here: fget
		// fails (EBADF) as for any other bad descriptor.
		f, err := ring.getRegFile(t, fd)
		if err != nil {
			drop()
			return linuxerr.EBADF
		}
		files[i] = f
	}
	ring.mu.Lock()
	defer ring.mu.Unlock()
	if ring.res.filesOn {
		drop()
		return linuxerr.EBUSY
	}
	ring.res.files, ring.res.fileTags, ring.res.filesOn = files, tags, true
	ring.res.allocHint = 0 // io_file_table_set_alloc_range
	return nil
}

func (ring *Ring) unregisterFiles() error {
	ring.mu.Lock()
	if !ring.res.filesOn {
		ring.mu.Unlock()
		return linuxerr.ENXIO
	}
	files, tags := ring.res.files, ring.res.fileTags
	ring.res.files, ring.res.fileTags, ring.res.filesOn = nil, nil, false
	ring.mu.Unlock()
	for _, f := range files {
		if f != nil {
			f.DecRef()
		}
	}
	ring.postTags(tags)
	return nil
}

// fixedFile returns registered file i with a reference (EBADF for an
// index out of range or an empty slot).
func (ring *Ring) fixedFile(i int32) (*fs.File, error) { return ring.useFixedFile(nil, i) }

// useFixedFile is fixedFile for request r, which holds the slot's tag
// until it completes (io_file_get_fixed: the request keeps the node).
func (ring *Ring) useFixedFile(r *Req, i int32) (*fs.File, error) {
	ring.mu.Lock()
	defer ring.mu.Unlock()
	if i < 0 || int(i) >= len(ring.res.files) || ring.res.files[i] == nil {
		return nil, linuxerr.EBADF
	}
	f := ring.res.files[i]
	f.IncRef()
	if r != nil {
		ring.holdTagLocked(r, ring.res.fileTags[i])
	}
	return f, nil
}

// UpdateFiles replaces registered files from slot off on with the
// descriptors fds (-1 empties a slot, IORING_REGISTER_FILES_SKIP leaves
// it) and tags, as __io_sqe_files_update does for
// IORING_REGISTER_FILES_UPDATE and IORING_OP_FILES_UPDATE. It returns
// how many it updated, or the error of the first one if none.
func (ring *Ring) UpdateFiles(t Task, off uint32, fds []int32, tags []uint64) (int32, error) {
	if err := ring.rsrcRange(off, uint32(len(fds)), false); err != nil {
		return 0, err
	}
	done := int32(0)
	for i, fd := range fds {
		var tag uint64
		if tags != nil {
			tag = tags[i]
		}
		if fd == filesSkip {
			if tag != 0 {
				return partialUpdate(done, linuxerr.EINVAL)
			}
			done++
			continue
		}
		var f *fs.File
		if fd != -1 {
			var err error
			if f, err = ring.getRegFile(t, fd); err != nil {
				return partialUpdate(done, linuxerr.EBADF)
			}
		} else if tag != 0 {
			return partialUpdate(done, linuxerr.EINVAL)
		}
		ring.mu.Lock()
		slot := int(off) + i
		if slot >= len(ring.res.files) { // unregistered meanwhile
			ring.mu.Unlock()
			if f != nil {
				f.DecRef()
			}
			return partialUpdate(done, linuxerr.ENXIO)
		}
		old, oldTag := ring.res.files[slot], ring.res.fileTags[slot]
		ring.res.files[slot], ring.res.fileTags[slot] = f, tag
		ring.noteSlotLocked(slot, old != nil, f != nil)
		ring.mu.Unlock()
		if old != nil {
			old.DecRef()
			ring.postTags([]uint64{oldTag})
		}
		done++
	}
	return done, nil
}

func partialUpdate(done int32, err error) (int32, error) {
	if done > 0 {
		return done, nil
	}
	return 0, err
}

// filesUpdate is IORING_REGISTER_FILES_UPDATE: struct
// io_uring_files_update {u32 offset; u32 resv; u64 fds}.
func (ring *Ring) filesUpdate(t Task, arg uint64, nr uint32) (int32, error) {
	if nr == 0 {
		return 0, linuxerr.EINVAL
	}
	w, err := readWords(t, arg, 2, 8)
	if err != nil {
		return 0, err
	}
	if w[0]>>32 != 0 {
		return 0, linuxerr.EINVAL
	}
	return ring.updateFromUser(t, uint32(w[0]), w[1], 0, nr)
}

// updateFromUser reads nr descriptors (and tags) and updates the files.
// The slots are checked first, then each tag and descriptor read in
// turn: a fault updates the slots before it (__io_sqe_files_update).
func (ring *Ring) updateFromUser(t Task, off uint32, fdsAddr, tagsAddr uint64, nr uint32) (int32, error) {
	if err := ring.rsrcRange(off, nr, false); err != nil {
		return 0, err
	}
	var fds []int32
	var tags []uint64
	var rerr error
	for i := uint64(0); i < uint64(nr); i++ {
		if tagsAddr != 0 {
			w, err := readWords(t, tagsAddr+8*i, 1, 8)
			if err != nil {
				rerr = err
				break
			}
			tags = append(tags, w[0])
		}
		w, err := readWords(t, fdsAddr+4*i, 1, 4)
		if err != nil {
			rerr = err
			break
		}
		fds = append(fds, int32(w[0]))
	}
	if tagsAddr == 0 {
		tags = nil
	} else {
		tags = tags[:len(fds)]
	}
	done, err := ring.UpdateFiles(t, off, fds, tags)
	if err == nil && int(done) == len(fds) && rerr != nil {
		return partialUpdate(done, rerr)
	}
	return done, err
}

// rsrcRange checks an update of nr slots from off of the file table or,
// with bufs, the buffer table (__io_register_rsrc_update and the
// __io_sqe_*_update it calls): EOVERFLOW if off+nr wraps around 32 bits,
// ENXIO without a table, EINVAL past its end.
func (ring *Ring) rsrcRange(off, nr uint32, bufs bool) error {
	if uint64(off)+uint64(nr) > math.MaxUint32 {
		return linuxerr.EOVERFLOW
	}
	ring.mu.Lock()
	on, n := ring.res.filesOn, len(ring.res.files)
	if bufs {
		on, n = ring.res.bufsOn, len(ring.res.bufs)
	}
	ring.mu.Unlock()
	if !on {
		return linuxerr.ENXIO
	}
	if uint64(off)+uint64(nr) > uint64(n) {
		return linuxerr.EINVAL
	}
	return nil
}

// registerRsrc2 is IORING_REGISTER_FILES2 and BUFFERS2: struct
// io_uring_rsrc_register {u32 nr; u32 flags; u64 resv2; u64 data; u64 tags}.
func (ring *Ring) registerRsrc2(t Task, arg uint64, size uint32, bufs bool) error {
	if size != 32 {
		return linuxerr.EINVAL
	}
	w, err := readWords(t, arg, 4, 8)
	if err != nil {
		return err
	}
	nr, flags := uint32(w[0]), uint32(w[0]>>32)
	if w[1] != 0 || flags&^rsrcRegisterSparse != 0 {
		return linuxerr.EINVAL
	}
	sparse := flags&rsrcRegisterSparse != 0
	if sparse && (w[2] != 0 || w[3] != 0) {
		return linuxerr.EINVAL
	}
	if bufs {
		return ring.registerBuffers(t, w[2], nr, w[3], sparse)
	}
	return ring.registerFiles(t, w[2], nr, w[3], sparse)
}

// rsrcUpdate2 is IORING_REGISTER_FILES_UPDATE2 and BUFFERS_UPDATE:
// struct io_uring_rsrc_update2 {u32 offset; u32 resv; u64 data; u64 tags;
// u32 nr; u32 resv2}.
func (ring *Ring) rsrcUpdate2(t Task, arg uint64, size uint32, bufs bool) (int32, error) {
	if size != 32 {
		return 0, linuxerr.EINVAL
	}
	w, err := readWords(t, arg, 4, 8)
	if err != nil {
		return 0, err
	}
	off, resv, nr, resv2 := uint32(w[0]), uint32(w[0]>>32), uint32(w[3]), uint32(w[3]>>32)
	if resv != 0 || resv2 != 0 || nr == 0 {
		return 0, linuxerr.EINVAL
	}
	if !bufs {
		return ring.updateFromUser(t, off, w[1], w[2], nr)
	}
	return ring.updateBuffers(t, off, w[1], w[2], nr)
}

// updateBuffers replaces registered buffers from slot off on with the
// nr iovecs at iovAddr and their tags (__io_sqe_buffers_update): the
// slots are checked first, then each iovec and tag is read and checked in
// turn; an empty iovec empties its slot and takes no tag. It returns how
// many it updated, or the error of the first one if none.
func (ring *Ring) updateBuffers(t Task, off uint32, iovAddr, tagsAddr uint64, nr uint32) (int32, error) {
	if err := ring.rsrcRange(off, nr, true); err != nil {
		return 0, err
	}
	done := int32(0)
	for i := 0; i < int(nr); i++ {
		iov, err := readIovecs(t, iovAddr+16*uint64(i), 1)
		if err != nil {
			return partialUpdate(done, err)
		}
		b := iov[0]
		var tag uint64
		if tagsAddr != 0 {
			w, err := readWords(t, tagsAddr+8*uint64(i), 1, 8)
			if err != nil {
				return partialUpdate(done, err)
			}
			tag = w[0]
		}
		if err := checkBuffer(t, b); err != nil {
			return partialUpdate(done, err)
		}
		if b.addr == 0 && tag != 0 {
			return partialUpdate(done, linuxerr.EINVAL) // an empty slot has no tag
		}
		ring.mu.Lock()
		slot := int(off) + i
		if !ring.res.bufsOn || slot >= len(ring.res.bufs) {
			ring.mu.Unlock()
			return partialUpdate(done, linuxerr.EINVAL)
		}
		oldTag := ring.res.bufTags[slot]
		ring.res.bufs[slot], ring.res.bufTags[slot] = b, tag
		ring.mu.Unlock()
		ring.postTags([]uint64{oldTag})
		done++
	}
	return done, nil
}

// registerEventfd is IORING_REGISTER_EVENTFD(_ASYNC): the eventfd is
// signalled for each CQE (for the async form, only for requests that
// completed asynchronously).
func (ring *Ring) registerEventfd(t Task, arg uint64, async bool) error {
	w, err := readWords(t, arg, 1, 4)
	if err != nil {
		return err
	}
	ring.mu.Lock()
	busy := ring.res.eventfd != nil
	ring.mu.Unlock()
	if busy {
		return linuxerr.EBUSY
	}
	f, err := Host.GetFile(t, int32(w[0]))
	if err != nil {
		return err
	}
	if !fs.IsEventFD(f) {
		f.DecRef()
		return linuxerr.EINVAL
	}
	ring.mu.Lock()
	defer ring.mu.Unlock()
	if ring.res.eventfd != nil {
		f.DecRef()
		return linuxerr.EBUSY
	}
	ring.res.eventfd, ring.res.evAsync = f, async
	ring.hasEventfd.Store(true)
	return nil
}

// signalEventfd signals the registered eventfd for a posted CQE, unless
// the process set IORING_CQ_EVENTFD_DISABLED in cq_flags, or the eventfd
// was registered with IORING_REGISTER_EVENTFD_ASYNC and the CQE does not
// come from an io-wq worker (iowq; io_eventfd_signal).
func (ring *Ring) signalEventfd(iowq bool) {
	if !ring.hasEventfd.Load() {
		return
	}
	ring.mu.Lock()
	f := ring.res.eventfd
	if f != nil && ring.res.evAsync && !iowq {
		f = nil
	}
	if f != nil {
		f.IncRef()
	}
	ring.mu.Unlock()
	if f == nil {
		return
	}
	if ring.rings.load(offCQFlags)&cqFlagEventfdDisabled == 0 {
		fs.EventfdSignal(f, 1)
	}
	f.DecRef()
}

// probe fills struct io_uring_probe (io_probe): the opcodes implemented,
// for up to nr entries (at most IORING_OP_LAST); the structure must come
// zeroed.
func probe(t Task, arg uint64, nr uint32) error {
	nr = min(nr, OpLast)
	size := 16 + 8*int(nr)
	b := make([]byte, size)
	if err := t.CopyIn(uintptr(arg), b); err != nil {
		return err
	}
	for _, c := range b {
		if c != 0 {
			return linuxerr.EINVAL
		}
	}
	b[0] = OpLast - 1
	b[1] = uint8(nr)
	for i := 0; i < int(nr); i++ {
		o := b[16+8*i:]
		o[0] = uint8(i)
		if Supported(uint8(i)) {
			binary.LittleEndian.PutUint16(o[2:], opSupported)
		}
	}
	return t.CopyOut(uintptr(arg), b)
}

// iowqMaxWorkers is IORING_REGISTER_IOWQ_MAX_WORKERS: it sets the
// bounded and unbounded worker limits where nonzero and returns the old
// ones. oyako's workers are goroutines, one per waiting request; the
// limits are kept and reported, not enforced.
func (ring *Ring) iowqMaxWorkers(t Task, arg uint64) error {
	w, err := readWords(t, arg, 2, 4)
	if err != nil {
		return err
	}
	if w[0] > math.MaxInt32 || w[1] > math.MaxInt32 {
		return linuxerr.EINVAL
	}
	ring.mu.Lock()
	old := ring.res.iowqMax
	for i := range 2 {
		if w[i] != 0 {
			ring.res.iowqMax[i] = uint32(w[i])
		}
	}
	ring.mu.Unlock()
	var b [8]byte
	binary.LittleEndian.PutUint32(b[0:], old[0])
	binary.LittleEndian.PutUint32(b[4:], old[1])
	return t.CopyOut(uintptr(arg), b[:])
}
