package uring

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

// The registered file table seen from requests (io_uring/filetable.c,
// rsrc.c, msg_ring.c): opcodes that open a file may put it in a slot
// instead of a descriptor ("direct descriptors": sqe->file_index is the
// slot plus one, or IORING_FILE_INDEX_ALLOC for the first free one),
// CLOSE empties a slot, IORING_OP_FILES_UPDATE is
// IORING_REGISTER_FILES_UPDATE as a request, and IORING_OP_MSG_RING
// posts a CQE to another ring or passes it a registered file.

// FileIndexAlloc is IORING_FILE_INDEX_ALLOC: any free slot.
const FileIndexAlloc = ^uint32(0)

// noteSlotLocked keeps the allocation hint as Linux's bitmap operations
// do: emptying a slot makes it the next one tried, filling one the slot
// after it (io_file_bitmap_clear, io_file_bitmap_set). The caller holds
// ring.mu.
func (ring *Ring) noteSlotLocked(slot int, was, now bool) {
	if was {
		ring.res.allocHint = slot
	}
	if now {
		ring.res.allocHint = slot + 1
	}
}

// allocSlotLocked finds a free slot from the hint on, then from the
// start (io_file_bitmap_get): ENFILE if none.
func (ring *Ring) allocSlotLocked() (int, error) {
	files := ring.res.files
	for i := ring.res.allocHint; i < len(files); i++ {
		if files[i] == nil {
			return i, nil
		}
	}
	for i := 0; i < ring.res.allocHint && i < len(files); i++ {
		if files[i] == nil {
			return i, nil
		}
	}
	return 0, linuxerr.ENFILE
}

// InstallFixed puts f, whose reference it takes, in the slot fileIndex
// names: slot fileIndex-1, replacing what was there, or with
// FileIndexAlloc the first free one (__io_fixed_fd_install). The result
// is 0, or the slot allocated. ENXIO without a table, EINVAL past its
// end, ENFILE when full, EBADF for a ring; f is dropped on error.
func (ring *Ring) InstallFixed(f *fs.File, fileIndex uint32) (int32, error) {
	if IsRingFile != nil && IsRingFile(f) {
		f.DecRef()
		return 0, linuxerr.EBADF
	}
	ring.mu.Lock()
	if !ring.res.filesOn {
		ring.mu.Unlock()
		f.DecRef()
		return 0, linuxerr.ENXIO
	}
	slot := int(fileIndex) - 1
	if fileIndex == FileIndexAlloc {
		var err error
		if slot, err = ring.allocSlotLocked(); err != nil {
			ring.mu.Unlock()
			f.DecRef()
			return 0, err
		}
	} else if slot >= len(ring.res.files) {
		ring.mu.Unlock()
		f.DecRef()
		return 0, linuxerr.EINVAL
	}
	old, oldTag := ring.res.files[slot], ring.res.fileTags[slot]
	ring.res.files[slot], ring.res.fileTags[slot] = f, 0
	ring.noteSlotLocked(slot, old != nil, true)
	ring.mu.Unlock()
	if old != nil {
		old.DecRef()
		ring.postTags([]uint64{oldTag})
	}
	if fileIndex == FileIndexAlloc {
		return int32(slot), nil
	}
	return 0, nil
}

// CloseFixed empties slot (io_fixed_fd_remove): ENXIO without a table,
// EINVAL past its end, EBADF for an empty slot.
func (ring *Ring) CloseFixed(slot uint32) error {
	ring.mu.Lock()
	if !ring.res.filesOn {
		ring.mu.Unlock()
		return linuxerr.ENXIO
	}
	if int(slot) >= len(ring.res.files) {
		ring.mu.Unlock()
		return linuxerr.EINVAL
	}
	old, tag := ring.res.files[slot], ring.res.fileTags[slot]
	if old == nil {
		ring.mu.Unlock()
		return linuxerr.EBADF
	}
	ring.res.files[slot], ring.res.fileTags[slot] = nil, 0
	ring.noteSlotLocked(int(slot), true, false)
	ring.mu.Unlock()
	old.DecRef()
	ring.postTags([]uint64{tag})
	return nil
}

// filesUpdateData is IORING_OP_FILES_UPDATE's arguments (struct
// io_rsrc_update).
type filesUpdateData struct {
	off  uint32
	nr   uint32
	addr uint64
}

// prepFilesUpdate is io_files_update_prep: no fixed file, no buffer
// selection, at least one descriptor (EINVAL).
func prepFilesUpdate(r *Req) error {
	s := &r.SQE
	if r.Fixed || r.BufferSelect() {
		return linuxerr.EINVAL
	}
	if err := NoFields(uint64(s.OpFlags), uint64(uint32(s.FileIndex))); err != nil {
		return err
	}
	if s.Len == 0 {
		return linuxerr.EINVAL
	}
	r.Data = &filesUpdateData{off: uint32(s.Off), nr: s.Len, addr: s.Addr}
	return nil
}

// issueFilesUpdate is io_files_update: the descriptors at addr go in
// the slots from off on; with IORING_FILE_INDEX_ALLOC each goes in a
// free slot whose number replaces the descriptor in the array
// (io_files_update_with_index_alloc). The result is how many were
// placed, or the first error.
func issueFilesUpdate(r *Req) (int32, error) {
	d := r.Data.(*filesUpdateData)
	t := r.Task
	ring := r.Ring
	if d.off != FileIndexAlloc {
		return ring.updateFromUser(t, d.off, d.addr, 0, d.nr)
	}
	ring.mu.Lock()
	on := ring.res.filesOn
	ring.mu.Unlock()
	if !on {
		return 0, linuxerr.ENXIO
	}
	done := int32(0)
	var err error
	for ; done < int32(d.nr); done++ {
		at := uintptr(d.addr) + uintptr(done)*4
		var b [4]byte
		if err = t.CopyIn(at, b[:]); err != nil {
			break
		}
		var f *fs.File
		if f, err = Host.GetFile(t, int32(binary.LittleEndian.Uint32(b[:]))); err != nil {
			err = linuxerr.EBADF
			break
		}
		var slot int32
		if slot, err = ring.InstallFixed(f, FileIndexAlloc); err != nil {
			break
		}
		binary.LittleEndian.PutUint32(b[:], uint32(slot))
		if err = t.CopyOut(at, b[:]); err != nil {
			ring.CloseFixed(uint32(slot))
			break
		}
	}
	return partialUpdate(done, err)
}

// RingOf returns the ring an open file is, or nil (io_is_uring_fops);
// the system-call layer sets it.
var RingOf func(f *fs.File) *Ring

// MSG_RING commands and flags (IORING_MSG_*).
const (
	msgData         = 0
	msgSendFd       = 1
	msgRingCQESkip  = 1 << 0
	msgRingFlagPass = 1 << 1
)

// msgRingData is IORING_OP_MSG_RING's arguments (struct io_msg).
type msgRingData struct {
	cmd      uint64
	len      uint32
	userData uint64
	srcFd    uint64
	dstFd    uint32
	flags    uint32
}

// prepMsgRing is io_msg_ring_prep: no buffer index or personality, no
// flags but IORING_MSG_RING_CQE_SKIP and IORING_MSG_RING_FLAGS_PASS
// (EINVAL).
func prepMsgRing(r *Req) error {
	s := &r.SQE
	if s.BufIndex != 0 {
		return linuxerr.EINVAL
	}
	d := &msgRingData{cmd: s.Addr, len: s.Len, userData: s.Off, srcFd: s.Addr3, dstFd: uint32(s.FileIndex),
		flags: s.OpFlags}
	if d.flags&^(msgRingCQESkip|msgRingFlagPass) != 0 {
		return linuxerr.EINVAL
	}
	r.Data = d
	return nil
}

// issueMsgRing is io_msg_ring: the request's file must be a ring
// (EBADFD). IORING_MSG_DATA posts a CQE to it whose result is len and
// user_data off (its flags file_index under IORING_MSG_RING_FLAGS_PASS);
// IORING_MSG_SEND_FD installs this ring's registered file addr3 in the
// target's slot file_index and posts a CQE with the slot result unless
// IORING_MSG_RING_CQE_SKIP. Other commands are EINVAL.
func issueMsgRing(r *Req) (int32, error) {
	d := r.Data.(*msgRingData)
	var target *Ring
	if RingOf != nil {
		target = RingOf(r.File)
	}
	if target == nil {
		return 0, linuxerr.EBADFD
	}
	switch d.cmd {
	case msgData:
		// __io_msg_ring_data
		if d.srcFd != 0 || d.flags&^msgRingFlagPass != 0 {
			return 0, linuxerr.EINVAL
		}
		var cflags uint32
		if d.flags&msgRingFlagPass != 0 {
			cflags = d.dstFd
		} else if d.dstFd != 0 {
			return 0, linuxerr.EINVAL
		}
		target.post(CQE{UserData: d.userData, Res: int32(d.len), Flags: cflags})
		return 0, nil
	case msgSendFd:
		// io_msg_send_fd
		if d.len != 0 {
			return 0, linuxerr.EINVAL
		}
		if target == r.Ring {
			return 0, linuxerr.EINVAL
		}
		if d.srcFd > 1<<31-1 {
			return 0, linuxerr.EBADF
		}
		f, err := r.Ring.fixedFile(int32(d.srcFd))
		if err != nil {
			return 0, linuxerr.EBADF
		}
		res, err := target.InstallFixed(f, d.dstFd)
		if err != nil {
			return 0, err
		}
		if d.flags&msgRingCQESkip == 0 {
			target.post(CQE{UserData: d.userData, Res: res})
		}
		return 0, nil
	}
	return 0, linuxerr.EINVAL
}

func init() {
	Register(OpFilesUpdate, &Op{Name: "FILES_UPDATE", Prep: prepFilesUpdate, Issue: issueFilesUpdate})
	Register(OpMsgRing, &Op{Name: "MSG_RING", NeedsFile: true, Prep: prepMsgRing, Issue: issueMsgRing})
}

// FixedFile returns registered file i with a reference (EBADF for an
// empty slot or one past the table): SPLICE_F_FD_IN_FIXED's input.
func (ring *Ring) FixedFile(i int32) (*fs.File, error) { return ring.fixedFile(i) }
