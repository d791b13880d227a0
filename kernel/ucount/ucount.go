// Package ucount keeps counts per user, as Linux's struct ucounts does
// for the limits that are per user rather than per process
// (RLIMIT_SIGPENDING's queued signals, epoll's max_user_watches). A
// user is a real UID; a count, once made, lives as long as the kernel
// (there are few users), so what holds one may keep its pointer and
// give back to the same count after the user changed its IDs.
package ucount

import (
	"sync"
	"sync/atomic"
)

// Table is one kind of count for every user.
type Table struct {
	mu    sync.Mutex
	byUID map[uint32]*atomic.Int64
}

// Of returns user uid's count, made at zero on first use.
func (t *Table) Of(uid uint32) *atomic.Int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.byUID[uid]
	if c == nil {
		if t.byUID == nil {
			t.byUID = make(map[uint32]*atomic.Int64)
		}
		c = new(atomic.Int64)
		t.byUID[uid] = c
	}
	return c
}
