package uring

import (
	"encoding/binary"
	"unsafe"
)

// Setup flags (include/uapi/linux/io_uring.h, IORING_SETUP_*).
const (
	SetupIOPoll        = 1 << 0
	SetupSQPoll        = 1 << 1
	SetupSQAff         = 1 << 2
	SetupCQSize        = 1 << 3
	SetupClamp         = 1 << 4
	SetupAttachWQ      = 1 << 5
	SetupRDisabled     = 1 << 6
	SetupSubmitAll     = 1 << 7
	SetupCoopTaskrun   = 1 << 8
	SetupTaskrunFlag   = 1 << 9
	SetupSQE128        = 1 << 10
	SetupCQE32         = 1 << 11
	SetupSingleIssuer  = 1 << 12
	SetupDeferTaskrun  = 1 << 13
	setupSupported     = SetupSQPoll | SetupSQAff | SetupCQSize | SetupClamp | SetupAttachWQ | SetupSubmitAll | SetupCoopTaskrun | SetupTaskrunFlag | SetupSingleIssuer | SetupDeferTaskrun
	maxEntries         = 32768 // IORING_MAX_ENTRIES
	maxCQEntries       = 2 * maxEntries
	defaultSQIdleMilli = 1000 // HZ: sq_thread_idle 0
)

// Features (IORING_FEAT_*): what Features reports is what oyako does.
const (
	FeatSingleMmap     = 1 << 0
	FeatNoDrop         = 1 << 1
	FeatSubmitStable   = 1 << 2
	FeatRWCurPos       = 1 << 3
	FeatCurPersonality = 1 << 4
	FeatFastPoll       = 1 << 5
	FeatPoll32Bits     = 1 << 6
	FeatSQPollNonfixed = 1 << 7
	FeatExtArg         = 1 << 8
	FeatNativeWorkers  = 1 << 9
	FeatRsrcTags       = 1 << 10
	FeatCQESkip        = 1 << 11
	FeatLinkedFile     = 1 << 12
)

// Features is the features word io_uring_setup returns. Every bit is a
// behaviour oyako has (see the package doc): a single mmap for both
// rings; no CQE is lost on overflow; SQEs are read once at submission;
// offset -1 means the file position; requests use the submitter's
// credentials; requests that would block wait for readiness instead of
// holding a worker (fast poll); 32-bit poll masks; SQPOLL with plain
// descriptors; io_uring_enter's extended argument; workers that act as
// the submitting process; CQE_SKIP_SUCCESS; files of linked requests
// looked up when the request runs.
const Features = FeatSingleMmap | FeatNoDrop | FeatSubmitStable | FeatRWCurPos | FeatCurPersonality |
	FeatFastPoll | FeatPoll32Bits | FeatSQPollNonfixed | FeatExtArg | FeatNativeWorkers | FeatRsrcTags | FeatCQESkip | FeatLinkedFile

// mmap offsets of the rings (IORING_OFF_*).
const (
	OffSQRing = 0
	OffCQRing = 0x8000000
	OffSQEs   = 0x10000000
)

// SQ ring flags (IORING_SQ_*), in the ring's sq_flags word.
const (
	SQNeedWakeup = 1 << 0
	SQCQOverflow = 1 << 1
	SQTaskrun    = 1 << 2
)

// io_uring_enter flags (IORING_ENTER_*).
const (
	EnterGetEvents      = 1 << 0
	EnterSQWakeup       = 1 << 1
	EnterSQWait         = 1 << 2
	EnterExtArg         = 1 << 3
	EnterRegisteredRing = 1 << 4
	EnterAbsTimer       = 1 << 5 // EXT_ARG's ts is a CLOCK_MONOTONIC time (Linux 6.12)
	EnterExtArgReg      = 1 << 6 // EXT_ARG points into a registered wait region (6.13)
	EnterNoIOWait       = 1 << 7 // the wait does not count as iowait (6.15): nothing here
	EnterKnown          = EnterGetEvents | EnterSQWakeup | EnterSQWait | EnterExtArg | EnterRegisteredRing |
		EnterAbsTimer | EnterExtArgReg | EnterNoIOWait
)

// SQE flags (IOSQE_*).
const (
	SQEFixedFile      = 1 << 0
	SQEIODrain        = 1 << 1
	SQEIOLink         = 1 << 2
	SQEIOHardlink     = 1 << 3
	SQEAsync          = 1 << 4
	SQEBufferSelect   = 1 << 5
	SQECQESkipSuccess = 1 << 6
	sqeKnown          = 0x7f
)

// CQE flags (IORING_CQE_F_*).
const (
	CQEFBuffer       = 1 << 0
	CQEFMore         = 1 << 1
	CQEFSockNonempty = 1 << 2
	CQEBufferShift   = 16
)

// Opcodes (enum io_uring_op).
const (
	OpNop = iota
	OpReadv
	OpWritev
	OpFsync
	OpReadFixed
	OpWriteFixed
	OpPollAdd
	OpPollRemove
	OpSyncFileRange
	OpSendmsg
	OpRecvmsg
	OpTimeout
	OpTimeoutRemove
	OpAccept
	OpAsyncCancel
	OpLinkTimeout
	OpConnect
	OpFallocate
	OpOpenat
	OpClose
	OpFilesUpdate
	OpStatx
	OpRead
	OpWrite
	OpFadvise
	OpMadvise
	OpSend
	OpRecv
	OpOpenat2
	OpEpollCtl
	OpSplice
	OpProvideBuffers
	OpRemoveBuffers
	OpTee
	OpShutdown
	OpRenameat
	OpUnlinkat
	OpMkdirat
	OpSymlinkat
	OpLinkat
	OpMsgRing
	OpFsetxattr
	OpSetxattr
	OpFgetxattr
	OpGetxattr
	OpSocket
	OpUringCmd
	OpSendZC
	OpSendmsgZC
	OpLast
)

// SQESize and CQESize are the sizes of struct io_uring_sqe and
// io_uring_cqe.
const (
	SQESize = 64
	CQESize = 16
)

// SQE is struct io_uring_sqe, decoded. The unions keep Linux's field
// names where an opcode family gives them meaning; Off is also addr2,
// Addr also splice_off_in, OpFlags the per-opcode flags word (rw_flags,
// poll32_events, msg_flags, timeout_flags, accept_flags, cancel_flags,
// open_flags, statx_flags, fadvise_advice, splice_flags, rename_flags,
// unlink_flags, hardlink_flags, msg_ring_flags), BufIndex also
// buf_group, FileIndex also splice_fd_in.
type SQE struct {
	Opcode      uint8
	Flags       uint8
	Ioprio      uint16
	Fd          int32
	Off         uint64
	Addr        uint64
	Len         uint32
	OpFlags     uint32
	UserData    uint64
	BufIndex    uint16
	Personality uint16
	FileIndex   int32
	Addr3       uint64
	Pad         uint64
}

// SQE's Go layout is struct io_uring_sqe's on amd64 (little-endian, no
// padding): an SQE is read from the ring with one copy (loadSQE). The
// two arrays fail to compile if the sizes differ.
var (
	_ [SQESize - unsafe.Sizeof(SQE{})]struct{}
	_ [unsafe.Sizeof(SQE{}) - SQESize]struct{}
)

// loadSQE copies the SQE at p, in the ring's memory.
func loadSQE(p unsafe.Pointer) SQE { return *(*SQE)(p) }

// Params is struct io_uring_params (120 bytes), with its struct
// io_sqring_offsets and io_cqring_offsets.
type Params struct {
	SQEntries, CQEntries      uint32
	Flags                     uint32
	SQThreadCPU, SQThreadIdle uint32
	Features                  uint32
	WQFd                      uint32
	Resv                      [3]uint32
	SQOff                     SQRingOffsets
	CQOff                     CQRingOffsets
}

// SQRingOffsets is struct io_sqring_offsets.
type SQRingOffsets struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
	UserAddr                                                        uint64
}

// CQRingOffsets is struct io_cqring_offsets.
type CQRingOffsets struct {
	Head, Tail, RingMask, RingEntries, Overflow, CQEs, Flags, Resv1 uint32
	UserAddr                                                        uint64
}

// ParamsSize is sizeof(struct io_uring_params).
const ParamsSize = 120

// DecodeParams decodes struct io_uring_params.
func DecodeParams(b []byte) Params {
	le := binary.LittleEndian
	u := func(i int) uint32 { return le.Uint32(b[i*4:]) }
	p := Params{SQEntries: u(0), CQEntries: u(1), Flags: u(2), SQThreadCPU: u(3), SQThreadIdle: u(4), Features: u(5), WQFd: u(6), Resv: [3]uint32{u(7), u(8), u(9)}}
	p.SQOff = SQRingOffsets{u(10), u(11), u(12), u(13), u(14), u(15), u(16), u(17), le.Uint64(b[72:])}
	p.CQOff = CQRingOffsets{u(20), u(21), u(22), u(23), u(24), u(25), u(26), u(27), le.Uint64(b[112:])}
	return p
}

// Encode encodes p as struct io_uring_params.
func (p *Params) Encode() []byte {
	b := make([]byte, ParamsSize)
	le := binary.LittleEndian
	for i, v := range []uint32{p.SQEntries, p.CQEntries, p.Flags, p.SQThreadCPU, p.SQThreadIdle, p.Features, p.WQFd, p.Resv[0], p.Resv[1], p.Resv[2],
		p.SQOff.Head, p.SQOff.Tail, p.SQOff.RingMask, p.SQOff.RingEntries, p.SQOff.Flags, p.SQOff.Dropped, p.SQOff.Array, p.SQOff.Resv1} {
		le.PutUint32(b[i*4:], v)
	}
	le.PutUint64(b[72:], p.SQOff.UserAddr)
	for i, v := range []uint32{p.CQOff.Head, p.CQOff.Tail, p.CQOff.RingMask, p.CQOff.RingEntries, p.CQOff.Overflow, p.CQOff.CQEs, p.CQOff.Flags, p.CQOff.Resv1} {
		le.PutUint32(b[80+i*4:], v)
	}
	le.PutUint64(b[112:], p.CQOff.UserAddr)
	return b
}
