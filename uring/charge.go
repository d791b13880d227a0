package uring

import (
	"sync/atomic"

	"oyako/kernel/mm"
)

// reqCharged counts the pages charged for requests (submit.go), their
// asynchronous state (async.go) and provided buffers (buffers.go). They
// have an allowance of their own, an eighth of the kernel budget, rather
// than a share of the half that buffered user data may fill
// (mm.ChargeUser: pipe and socket buffers): otherwise a server whose
// sockets hold all the data they may could not even wait for them to
// drain (uring_echo.c's 100 clients filled that half at 128 MiB, and
// every RECV and SEND that had to wait failed with -ENOMEM), where Linux
// charges a waiting request's poll entry to kernel memory, not to the
// socket. A process that spends the allowance still gets EAGAIN from
// io_uring_enter and -ENOMEM for requests that would wait.
var reqCharged atomic.Int64

// chargeReq accounts n pages, or refuses them when the allowance is
// spent.
func chargeReq(n int) bool {
	if b := mm.KernelBudget(); reqCharged.Add(int64(n)) > int64(b/8) && b != 0 {
		reqCharged.Add(-int64(n))
		return false
	}
	return true
}

// unchargeReq gives back what chargeReq accounted.
func unchargeReq(n int) { reqCharged.Add(-int64(n)) }
