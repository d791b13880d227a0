package task

import (
	"encoding/binary"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// User futexes (Linux's kernel/futex/): waiters queue per futex word, in
// arrival order, woken by FutexWake or requeued. The key is the address
// space and the address; shared futexes across address spaces (shared
// memory between processes) are keyed by the shared object and the offset
// in it, so that every process mapping it meets the same waiters.

type futexKey struct {
	shared bool   // id names a shared object, else an address space
	id     uint64 //
	off    uint64 // the offset in the object, or the address
}

type futexWaiter struct {
	key    futexKey
	bitset uint32
	woken  chan struct{}
	done   bool
}

var (
	futexMu     sync.Mutex
	futexQueues = map[futexKey][]*futexWaiter{}
)

func keyFor(t *Task, addr uintptr) futexKey {
	id, off, shared := t.Proc.AS().FutexKey(addr)
	return futexKey{shared: shared, id: id, off: off}
}

// FutexWait blocks t while the 32-bit word at addr holds val, until a wake
// whose bitset intersects bitset, the deadline (zero: none), or an
// interruption. Errors: EAGAIN (value differs), ETIMEDOUT, EINTR, EFAULT.
func FutexWait(t *Task, addr uintptr, val uint32, bitset uint32, deadline time.Time) error {
	if addr&3 != 0 {
		return linuxerr.EINVAL
	}
	var b [4]byte
	futexMu.Lock()
	if err := t.CopyIn(addr, b[:]); err != nil {
		futexMu.Unlock()
		return err
	}
	if binary.LittleEndian.Uint32(b[:]) != val {
		futexMu.Unlock()
		return linuxerr.EAGAIN
	}
	w := &futexWaiter{key: keyFor(t, addr), bitset: bitset, woken: make(chan struct{})}
	futexQueues[w.key] = append(futexQueues[w.key], w)
	futexMu.Unlock()

	var timeout <-chan time.Time
	if !deadline.IsZero() {
		tm := time.NewTimer(time.Until(deadline))
		defer tm.Stop()
		timeout = tm.C
	}
	t.BeginSleep(true)
	defer t.EndSleep()
	select {
	case <-w.woken:
		return nil
	case <-timeout:
		if futexDequeue(w) {
			return linuxerr.ETIMEDOUT
		}
		return nil // woken at the same time
	case <-t.Interrupted():
		if futexDequeue(w) {
			// futex_wait: restarted unless a handler runs; with a
			// timeout Linux uses a restart block, here EINTR.
			if deadline.IsZero() {
				return linuxerr.ERESTARTSYS
			}
			return linuxerr.EINTR
		}
		return nil
	}
}

// futexDequeue removes w if it is still waiting and reports whether it was.
func futexDequeue(w *futexWaiter) bool {
	futexMu.Lock()
	defer futexMu.Unlock()
	if w.done {
		return false
	}
	q := futexQueues[w.key]
	for i, x := range q {
		if x == w {
			futexQueues[w.key] = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	if len(futexQueues[w.key]) == 0 {
		delete(futexQueues, w.key)
	}
	w.done = true
	return true
}

// FutexWake wakes up to n waiters on addr whose bitset intersects bitset
// (all bits for FUTEX_WAKE) and returns how many it woke.
func FutexWake(t *Task, addr uintptr, n int) int {
	return futexWakeKey(keyFor(t, addr), n, ^uint32(0))
}

// FutexWakeBitset is FUTEX_WAKE_BITSET.
func FutexWakeBitset(t *Task, addr uintptr, n int, bitset uint32) (int, error) {
	if addr&3 != 0 {
		return 0, linuxerr.EINVAL
	}
	if bitset == 0 {
		return 0, linuxerr.EINVAL
	}
	return futexWakeKey(keyFor(t, addr), n, bitset), nil
}

func futexWakeKey(k futexKey, n int, bitset uint32) int {
	futexMu.Lock()
	defer futexMu.Unlock()
	q := futexQueues[k]
	woken := 0
	rest := q[:0]
	for _, w := range q {
		if woken < n && w.bitset&bitset != 0 {
			w.done = true
			close(w.woken)
			woken++
			continue
		}
		rest = append(rest, w)
	}
	if len(rest) == 0 {
		delete(futexQueues, k)
	} else {
		futexQueues[k] = rest
	}
	return woken
}

// FutexRequeue wakes up to nwake waiters on addr and moves up to nmove of
// the rest to addr2 (FUTEX_REQUEUE); with cmp, only if the word at addr
// still holds val (FUTEX_CMP_REQUEUE, else EAGAIN).
func FutexRequeue(t *Task, addr, addr2 uintptr, nwake, nmove int, cmp bool, val uint32) (int, error) {
	if addr&3 != 0 || addr2&3 != 0 || nwake < 0 || nmove < 0 {
		return 0, linuxerr.EINVAL
	}
	futexMu.Lock()
	defer futexMu.Unlock()
	if cmp {
		var b [4]byte
		if err := t.CopyIn(addr, b[:]); err != nil {
			return 0, err
		}
		if binary.LittleEndian.Uint32(b[:]) != val {
			return 0, linuxerr.EAGAIN
		}
	}
	k, k2 := keyFor(t, addr), keyFor(t, addr2)
	q := futexQueues[k]
	delete(futexQueues, k)
	n := 0
	for _, w := range q {
		switch {
		case n < nwake:
			w.done = true
			close(w.woken)
		case n < nwake+nmove:
			w.key = k2
			futexQueues[k2] = append(futexQueues[k2], w)
		default:
			futexQueues[k] = append(futexQueues[k], w)
			continue
		}
		n++
	}
	return n, nil
}
