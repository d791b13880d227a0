package uring

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Op describes an opcode: Linux's io_issue_def with its prep and issue
// functions. Opcodes register themselves with Register; the ones that
// perform a system call's operation are registered by the system-call
// layer (syscalls/uring_*.go), the ones about the ring itself (NOP,
// poll, timeouts, cancellation, buffers) here.
type Op struct {
	Name string
	// NeedsFile: sqe->fd names a file, fixed or not, looked up when the
	// request is issued (r.File); a bad one completes it with -EBADF.
	NeedsFile bool
	// PollIn and PollOut are the readiness a request waits for when its
	// Issue would block (op_def->pollin, pollout): it is retried when
	// the file reports it, as IORING_FEAT_FAST_POLL does. An opcode with
	// neither, or a file that cannot be polled, is retried blocking on
	// a worker.
	PollIn, PollOut bool
	// BufferSelect: IOSQE_BUFFER_SELECT is allowed (else EOPNOTSUPP).
	BufferSelect bool
	// Ioprio: sqe->ioprio may be nonzero (else EINVAL).
	Ioprio bool
	// Prep checks the SQE at submission (io_*_prep), reading what it
	// points to that must be stable once submitted, and keeps what it
	// needs in r.Data. An error completes the request with it.
	Prep func(r *Req) error
	// Issue carries the operation out with r.Task. It returns the
	// result, or an error (EAGAIN after a refused wait makes the request
	// wait and retry), or ErrQueued when it will complete r itself.
	Issue func(r *Req) (int32, error)
	// Plain: Issue keeps no reference to the request once it returned a
	// result (neither ErrQueued nor a wait): a plain request the
	// submitter completed inline lends its memory to a later one
	// (Ring.free).
	Plain bool
	// Failed, when set, decides whether a non-negative result still
	// breaks the request's link chain (a short read or write does,
	// as __io_complete_rw_common marks it failed). Default: only
	// negative results do.
	Failed func(r *Req, res int32) bool
}

// ops is the opcode table (io_issue_defs).
var ops [OpLast]*Op

// Register declares the implementation of opcode op.
func Register(op uint8, o *Op) {
	if ops[op] != nil {
		panic("uring: opcode registered twice: " + o.Name)
	}
	ops[op] = o
}

// Supported reports whether opcode op is implemented (what
// IORING_REGISTER_PROBE reports).
func Supported(op uint8) bool { return int(op) < len(ops) && ops[op] != nil }

// OpName returns opcode op's name for strace ("" if unknown).
func OpName(op uint8) string {
	if Supported(op) {
		return ops[op].Name
	}
	return ""
}

// NoFields checks that the SQE fields an opcode does not use are zero,
// as the io_*_prep functions require (EINVAL otherwise). Each argument
// is a field's value.
func NoFields(vals ...uint64) error {
	for _, v := range vals {
		if v != 0 {
			return linuxerr.EINVAL
		}
	}
	return nil
}

func init() {
	// IORING_OP_NOP (io_nop): completes with 0.
	Register(OpNop, &Op{Name: "NOP", Plain: true, Issue: func(r *Req) (int32, error) { return 0, nil }})
}
