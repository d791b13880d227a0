// Package uring is io_uring (Linux's io_uring/): the rings shared with
// the process, submission, completion with the NODROP overflow backlog,
// link chains and drains, linked and standalone timeouts, cancellation,
// the SQPOLL thread, and the resources io_uring_register(2) registers.
//
// A request is first issued inline by whoever submits it (the
// io_uring_enter caller, or the SQ thread) with waits refused, as Linux
// issues it with IOCB_NOWAIT; if it would have waited it moves to a
// worker of its own (a goroutine with a task.IOThread acting as the
// process, Linux's io-wq worker), which waits for the file's readiness
// and retries (IORING_FEAT_FAST_POLL), or waits in the operation for a
// file that cannot be polled. Neither the submitter nor the SQ thread
// ever blocks on a request. Cancelling a request interrupts its worker's
// wait, which then completes it with -ECANCELED.
//
// The cost of a request that completes inline is kept low, as Linux
// keeps io_submit_sqes': the SQE is copied whole, the CQEs of a
// submission wake the ring's pollers and eventfd once at its end
// (io_submit_flush_completions), and a plain request (NOP, read, write:
// Op.Plain) lends its memory to a later one once the submitter completed
// it (Ring.free), so that a batch allocates nothing; a cancellation then
// names a request by pointer and sequence number (reqRef), so that it
// never reaches the later request.
//
// The opcodes that perform a system call's operation are registered by
// package syscalls (uring_*.go) with Register; this package holds the
// ones about the ring itself.
//
// Limits: registered buffers are ranges of the process's memory looked
// up at each use, not pinned pages (a buffer unmapped after registering
// gives EFAULT, where Linux still reads the pinned pages); one CPU, so
// SQ_AFF accepts only CPU 0 and the SQ thread shares it with the
// process; no IOPOLL, SQE128/CQE32, R_DISABLED, personalities or
// restrictions (EINVAL).
package uring
