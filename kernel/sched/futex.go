package sched

// Futex wait queues (Linux's kernel/futex): threads blocked in FUTEX_WAIT
// hang off a bucket chosen by the futex key, in arrival order.

const futexBuckets = 64

var futexHeads [futexBuckets]int32 // index+1 of the first waiter; 0 = none

func futexBucket(key uint64) *int32 {
	h := (key >> 2) * 0x9e3779b97f4a7c15
	return &futexHeads[h>>58]
}

// FutexWait blocks the current thread on key until FutexWake or the
// deadline (0: none). The caller has checked the futex word's value with
// interrupts off, so no wake can have been missed in between.
func FutexWait(key uint64, deadline int64) WakeReason {
	cur := Current()
	cur.futexKey = key
	cur.inFutex = true
	cur.futexNext = 0
	// Append at the tail: wakes go in FIFO order, as in Linux.
	p := futexBucket(key)
	for *p != 0 {
		p = &at(*p).futexNext
	}
	*p = cur.index() + 1
	return Block(deadline)
}

// FutexWake wakes up to n threads waiting on key and returns how many it woke.
func FutexWake(key uint64, n int) int {
	woken := 0
	p := futexBucket(key)
	for *p != 0 && woken < n {
		t := at(*p)
		if t.futexKey != key {
			p = &t.futexNext
			continue
		}
		*p = t.futexNext
		t.inFutex = false
		t.futexNext = 0
		Wake(t)
		woken++
	}
	return woken
}

// futexRemove unlinks t from its bucket (on timeout or exit).
func futexRemove(t *Thread) {
	p := futexBucket(t.futexKey)
	for *p != 0 {
		if at(*p) == t {
			*p = t.futexNext
			break
		}
		p = &at(*p).futexNext
	}
	t.inFutex = false
	t.futexNext = 0
}
