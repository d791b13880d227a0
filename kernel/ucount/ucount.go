// Package ucount keeps counts per user, as Linux's struct ucounts does
// for the limits that are per user rather than per process
// (RLIMIT_SIGPENDING's queued signals, epoll's max_user_watches). A user
// is a real UID. A user's count exists only while something is charged
// to it: a program can take any of four billion UIDs, so a table that
// kept every user it ever saw would grow without bound.
package ucount

import "sync"

// Table is one kind of count for every user.
type Table struct {
	mu    sync.Mutex
	byUID map[uint32]*Count
}

// Count is one user's count. What is charged holds it, so that the
// charge goes back to the same user after the process changed its IDs.
type Count struct {
	table *Table
	uid   uint32
	n     int64
}

// Release gives back one charge of c (Uncharge): what holds a charge
// can give it back without knowing its table.
func (c *Count) Release() { c.table.Uncharge(c) }

// Charge adds one to uid's count and returns it, unless the count is
// already at limit and override is false (then nil).
func (t *Table) Charge(uid uint32, limit int64, override bool) *Count {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.byUID[uid]
	if c == nil {
		if limit <= 0 && !override {
			return nil
		}
		if t.byUID == nil {
			t.byUID = make(map[uint32]*Count)
		}
		c = &Count{table: t, uid: uid}
		t.byUID[uid] = c
	} else if c.n >= limit && !override {
		return nil
	}
	c.n++
	return c
}

// Uncharge gives back one that Charge added to c; the user is forgotten
// when nothing is charged to it any more.
func (t *Table) Uncharge(c *Count) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.n--; c.n == 0 {
		delete(t.byUID, c.uid)
	}
}

// Load returns uid's count.
func (t *Table) Load(uid uint32) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.byUID[uid]; c != nil {
		return c.n
	}
	return 0
}

// Users returns how many users have something charged (for tests).
func (t *Table) Users() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byUID)
}
