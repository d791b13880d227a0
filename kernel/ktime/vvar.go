package ktime

import (
	"sync/atomic"
	"unsafe"

	"oyako/amd64"
)

// VVar is the page of time data the kernel publishes for the vDSO
// (Linux's vdso_data in the vvar page): everything a process needs to
// turn a TSC reading into CLOCK_MONOTONIC and CLOCK_REALTIME without a
// system call, plus the coarse clocks as of the last tick. One physical
// page holds it, mapped read-only into every process and into the
// kernel's own vDSO mapping; kernel/vdso/c/vvar.h declares the same
// layout for the C side (a test compares the two).
//
// Writers bump Seq to odd, update, and bump it to even again, with
// interrupts off; readers retry while Seq is odd or changed (a seqcount).
type VVar struct {
	Seq            uint32
	Flags          uint32 // VVarRDTSCP
	TSCBase        uint64 // TSC at CLOCK_MONOTONIC 0
	Mult           uint64 // ns = (tsc-TSCBase) * Mult >> Shift (128-bit product)
	Shift          uint32
	Reserved       uint32
	RealtimeOffset int64 // CLOCK_REALTIME - CLOCK_MONOTONIC, ns
	CoarseMono     int64 // CLOCK_MONOTONIC at the last tick, ns
	CoarseRes      int64 // resolution of the coarse clocks, ns
}

// VVarRDTSCP in VVar.Flags says RDTSCP works and TSC_AUX holds the CPU
// number (the vDSO's getcpu reads it).
const VVarRDTSCP = 1

// CoarseTick is how often the coarse clocks advance while anything runs,
// and so their resolution: Linux's tick at HZ=250.
const CoarseTick = 4_000_000

// The page must fit in one page.
var _ [4096 - unsafe.Sizeof(VVar{})]byte

// vvar points at the published page once Publish has run.
var vvar *VVar

// writeBegin and writeEnd bracket an update of the page: the seqcount's
// writer side. Interrupts must be off between them (one CPU: nothing else
// writes).
//
//go:nosplit
func (p *VVar) writeBegin() { atomic.StoreUint32(&p.Seq, p.Seq+1) }

//go:nosplit
func (p *VVar) writeEnd() { atomic.StoreUint32(&p.Seq, p.Seq+1) }

// Publish makes p the vvar page and fills it in; from then on the kernel
// keeps it current. rdtscp says whether the vDSO may use RDTSCP for getcpu.
func Publish(p *VVar, rdtscp bool) {
	flags := amd64.SaveFlagsCli()
	p.Seq = 0
	p.writeBegin()
	p.TSCBase, p.Mult, p.Shift = tscBase, mult, uint32(shift)
	p.Flags = 0
	if rdtscp {
		p.Flags = VVarRDTSCP
	}
	p.RealtimeOffset = realtimeOffset.Load()
	p.CoarseMono = Now()
	p.CoarseRes = CoarseTick
	p.writeEnd()
	vvar = p
	amd64.RestoreFlags(flags)
}

// setRealtimeOffset publishes a new CLOCK_REALTIME offset.
func setRealtimeOffset(off int64) {
	p := vvar
	if p == nil {
		return
	}
	flags := amd64.SaveFlagsCli()
	p.writeBegin()
	p.RealtimeOffset = off
	p.writeEnd()
	amd64.RestoreFlags(flags)
}

// Tick advances the coarse clocks to now (CLOCK_MONOTONIC, ns). The
// scheduler calls it on timer interrupts and context switches, with
// interrupts off.
//
//go:nosplit
func Tick(now int64) {
	p := vvar
	if p == nil || now <= p.CoarseMono {
		return
	}
	p.writeBegin()
	p.CoarseMono = now
	p.writeEnd()
}

// NextTick returns when the coarse clocks should next advance.
//
//go:nosplit
func NextTick() int64 {
	if p := vvar; p != nil {
		return p.CoarseMono + CoarseTick
	}
	return CoarseTick
}

// coarse returns the coarse monotonic time and the realtime offset, read
// together as the vDSO reads them.
func coarse() (mono, realtimeOff int64) {
	p := vvar
	if p == nil {
		return Now(), realtimeOffset.Load()
	}
	for {
		seq := atomic.LoadUint32(&p.Seq)
		mono, realtimeOff = p.CoarseMono, p.RealtimeOffset
		if seq&1 == 0 && atomic.LoadUint32(&p.Seq) == seq {
			return mono, realtimeOff
		}
	}
}
