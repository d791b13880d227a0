// Package klog writes the kernel's log and console output without
// allocating, so that early boot, interrupt handlers and runtime services
// can use it. A Line is built on the caller's stack and written out whole
// under the console lock, so lines from different threads never interleave.
//
// Kernel log lines are suppressed when the command line says "quiet"
// (as oyako run does unless -v); crash reports and program output are not.
package klog

import (
	"oyako/amd64"
	"oyako/kernel/spin"
)

// Quiet suppresses Line.Print (not Line.Always). Set from the command line.
var Quiet bool

var consoleLock spin.Lock

func lock() uint64 { return consoleLock.Lock() }

func unlock(flags uint64) { consoleLock.Unlock(flags) }

// Console writes the kernel's own output (what its Go code prints, strace
// lines) to the serial console; the log ring keeps it too.
func Console(b []byte) {
	f := lock()
	Ring.write(b)
	amd64.SerialWrite(b)
	unlock(f)
}

// ConsoleRaw writes bytes that already went through the console's output
// processing (the TTY's ONLCR) to the serial port unchanged.
func ConsoleRaw(b []byte) {
	f := lock()
	amd64.SerialWriteRaw(b)
	unlock(f)
}

// RingOnly writes to the log ring alone: what a quiet boot keeps off the
// console but a debugger's oyako-log still shows (the banner).
type RingOnly struct{}

func (RingOnly) Write(b []byte) (int, error) {
	f := lock()
	Ring.write(b)
	unlock(f)
	return len(b), nil
}

// Side writes b to the host side channel (debugcon), not the console.
func Side(b []byte) {
	f := lock()
	amd64.DebugConWrite(b)
	unlock(f)
}

// Line is one log line under construction. The zero value is ready.
type Line struct {
	buf [480]byte
	n   int
}

// S appends a string.
func (l *Line) S(s string) *Line {
	for i := 0; i < len(s) && l.n < len(l.buf); i++ {
		l.buf[l.n] = s[i]
		l.n++
	}
	return l
}

// B appends bytes.
func (l *Line) B(b []byte) *Line {
	for i := 0; i < len(b) && l.n < len(l.buf); i++ {
		l.buf[l.n] = b[i]
		l.n++
	}
	return l
}

// C appends one byte.
func (l *Line) C(c byte) *Line {
	if l.n < len(l.buf) {
		l.buf[l.n] = c
		l.n++
	}
	return l
}

const hexDigits = "0123456789abcdef"

// X appends v in hexadecimal with a 0x prefix.
func (l *Line) X(v uint64) *Line {
	l.S("0x")
	return l.Hex(v, 1)
}

// Hex appends v in hexadecimal, zero-padded to at least width digits.
func (l *Line) Hex(v uint64, width int) *Line {
	var d [16]byte
	i := len(d)
	for v != 0 || len(d)-i < width {
		i--
		d[i] = hexDigits[v&0xf]
		v >>= 4
		if i == 0 {
			break
		}
	}
	return l.B(d[i:])
}

// U appends v in decimal.
func (l *Line) U(v uint64) *Line {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return l.B(d[i:])
}

// D appends v in decimal.
func (l *Line) D(v int64) *Line {
	if v < 0 {
		l.C('-')
		return l.U(uint64(-v))
	}
	return l.U(uint64(v))
}

// Bytes returns the line built so far.
func (l *Line) Bytes() []byte { return l.buf[:l.n] }

// Print writes the line, with a newline, to the console unless Quiet. The
// log ring keeps it either way.
func (l *Line) Print() { l.emit(!Quiet) }

// Always writes the line, with a newline, to the console even when Quiet.
func (l *Line) Always() { l.emit(true) }

func (l *Line) emit(console bool) {
	if l.n == len(l.buf) {
		l.n--
	}
	l.buf[l.n] = '\n'
	f := lock()
	Ring.write(l.buf[:l.n+1])
	if console {
		amd64.SerialWrite(l.buf[:l.n+1])
	}
	unlock(f)
	l.n = 0
}

// Ring keeps the most recent kernel log lines, those Quiet suppressed
// included, as Linux's printk buffer does, for a debugger to read (the
// gdb helper oyako-log, like Linux's lx-dmesg). Program output is not in
// it.
var Ring LogRing

// LogRing is a byte ring: Buf[i % len(Buf)] for the last len(Buf) of the
// Head bytes ever written.
type LogRing struct {
	Buf  [32 << 10]byte
	Head uint64
}

func (r *LogRing) write(b []byte) {
	for _, c := range b {
		r.Buf[r.Head%uint64(len(r.Buf))] = c
		r.Head++
	}
}

// Bytes returns the ring's contents, oldest first.
func (r *LogRing) Bytes() []byte {
	n := uint64(len(r.Buf))
	if r.Head <= n {
		return append([]byte(nil), r.Buf[:r.Head]...)
	}
	i := r.Head % n
	return append(append([]byte(nil), r.Buf[i:]...), r.Buf[:i]...)
}

// Log writes s as a kernel log line unless Quiet. It is for ordinary Go
// code (s is usually built with fmt); interrupt context uses Line.
func Log(s string) {
	var l Line
	l.S(s).Print()
}

// SideLine writes s and a newline to the host side channel.
func SideLine(s string) {
	Side([]byte(s + "\n"))
}
