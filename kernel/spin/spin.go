// Package spin provides the kernel's lowest-level lock: a spinlock taken
// with interrupts disabled. Runtime services, interrupt handlers and early
// boot use it where a sync.Mutex cannot be used (it would call into the Go
// scheduler). With one CPU, disabling interrupts is what excludes others;
// the spinning part is there for SMP.
package spin

import (
	"sync/atomic"

	"oyako/amd64"
)

// Lock is a spinlock. The zero value is unlocked.
type Lock struct{ v uint32 }

// Lock disables interrupts, takes l and returns the previous RFLAGS, to be
// passed to Unlock.
func (l *Lock) Lock() (flags uint64) {
	flags = amd64.SaveFlagsCli()
	for !atomic.CompareAndSwapUint32(&l.v, 0, 1) {
		amd64.Pause()
	}
	return flags
}

// Unlock releases l and restores the interrupt flag saved by Lock.
func (l *Lock) Unlock(flags uint64) {
	atomic.StoreUint32(&l.v, 0)
	amd64.RestoreFlags(flags)
}
