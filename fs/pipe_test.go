package fs

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/mm"
)

// fillPipe writes size-byte writes to the non-blocking w until EAGAIN and
// returns the bytes written.
func fillPipe(t *testing.T, w *File, size int) int {
	t.Helper()
	c := &testCtx{}
	buf := make([]byte, size)
	total := 0
	for {
		n, err := w.Write(c, buf)
		total += n
		if err == linuxerr.EAGAIN {
			return total
		}
		if err != nil {
			t.Fatalf("write: %v", err)
		}
	}
}

func mustRead(t *testing.T, r *File, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	k, err := r.Read(&testCtx{}, b)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b[:k]
}

func mustWrite(t *testing.T, w *File, s string) {
	t.Helper()
	if n, err := w.Write(&testCtx{}, []byte(s)); err != nil || n != len(s) {
		t.Fatalf("write %q: %d, %v", s, n, err)
	}
}

// TestPipeCapacity checks what a non-blocking writer puts in before
// EAGAIN, against the numbers Linux gives: capacity is 16 pages, a write's
// tail merges into the last page only if it fits there, and packets never
// merge.
func TestPipeCapacity(t *testing.T) {
	for _, tc := range []struct {
		size, want int
		packet     bool
	}{
		{1, 65536, false},
		{100, 64000, false},
		{4095, 65520, false},
		{4096, 65536, false},
		{4097, 45066, false},
		{5000, 54096, false},
		{70000, 65536, false},
		{1, 16, true},
		{4096, 65536, true},
		{5000, 40000, true},
	} {
		flags := uint32(O_NONBLOCK)
		if tc.packet {
			flags |= O_DIRECT
		}
		r, w := NewPipe(flags)
		if got := fillPipe(t, w, tc.size); got != tc.want {
			t.Errorf("%d-byte writes (packet %v): %d bytes, want %d", tc.size, tc.packet, got, tc.want)
		}
		r.DecRef()
		w.DecRef()
	}
}

// TestPipeAtomic: a write of at most PIPE_BUF bytes goes in whole or not
// at all; a larger one may be short.
func TestPipeAtomic(t *testing.T) {
	r, w := NewPipe(O_NONBLOCK)
	c := &testCtx{}
	for range 15 {
		w.Write(c, make([]byte, 4096))
	}
	for _, tc := range []struct {
		size, want int
		err        error
	}{
		{4000, 4000, nil},
		{200, 0, linuxerr.EAGAIN}, // 4000+200 does not fit the last page
		{96, 96, nil},             // this does
		{4097, 0, linuxerr.EAGAIN},
		{1, 0, linuxerr.EAGAIN},
	} {
		n, err := w.Write(c, make([]byte, tc.size))
		if n != tc.want || err != tc.err {
			t.Errorf("write %d: %d, %v; want %d, %v", tc.size, n, err, tc.want, tc.err)
		}
	}
	mustRead(t, r, 4096)
	// One free page: a 5000-byte write fills it and stops short.
	if n, err := w.Write(c, make([]byte, 5000)); n != 4096 || err != nil {
		t.Errorf("write 5000 into one free page: %d, %v", n, err)
	}
}

func TestPipePackets(t *testing.T) {
	r, w := NewPipe(O_NONBLOCK | O_DIRECT)
	if r.Flags()&O_DIRECT != 0 || w.Flags()&O_DIRECT == 0 {
		t.Fatalf("O_DIRECT belongs to the write end only: %#o %#o", r.Flags(), w.Flags())
	}
	mustWrite(t, w, "abc")
	mustWrite(t, w, "defgh")
	mustWrite(t, w, "ij")
	for _, tc := range []struct {
		n    int
		want string
	}{{100, "abc"}, {2, "de"}, {100, "ij"}} {
		if got := string(mustRead(t, r, tc.n)); got != tc.want {
			t.Errorf("read %d: %q, want %q", tc.n, got, tc.want)
		}
	}
	// A packet larger than a page is split into page packets.
	w.Write(&testCtx{}, make([]byte, 5000))
	if a, b := len(mustRead(t, r, 10000)), len(mustRead(t, r, 10000)); a != 4096 || b != 904 {
		t.Errorf("5000-byte packet read as %d and %d", a, b)
	}
	// A packet write still merges into a stream buffer (pipe_write looks
	// at the last buffer's flags only), and a stream write never merges
	// into a packet.
	w.SetStatusFlags(O_NONBLOCK)
	mustWrite(t, w, "kl")
	w.SetStatusFlags(O_NONBLOCK | O_DIRECT)
	mustWrite(t, w, "mn")
	if got := string(mustRead(t, r, 100)); got != "klmn" {
		t.Errorf("stream then packet: %q", got)
	}
	mustWrite(t, w, "op")
	w.SetStatusFlags(O_NONBLOCK)
	mustWrite(t, w, "qr")
	mustWrite(t, w, "st")
	for _, want := range []string{"op", "qrst"} {
		if got := string(mustRead(t, r, 100)); got != want {
			t.Errorf("packet then stream: %q, want %q", got, want)
		}
	}
}

func TestPipeSetSize(t *testing.T) {
	r, w := NewPipe(O_NONBLOCK)
	p := PipeOf(r)
	if PipeOf(w) != p || p.Size() != 65536 {
		t.Fatalf("PipeOf or default size wrong: %d", p.Size())
	}
	for _, tc := range []struct {
		size       uint32
		privileged bool
		want       int
		err        error
	}{
		{0, false, 4096, nil},
		{4097, false, 8192, nil},
		{3 * 65536, false, 262144, nil},
		{1 << 20, false, 1 << 20, nil},
		{1<<20 + 1, false, 0, linuxerr.EPERM},
		{1<<20 + 1, true, 2 << 20, nil},
		{1 << 31, true, 1 << 31, nil},
		{1<<31 + 1, true, 0, linuxerr.EINVAL},
		{0xffffffff, true, 0, linuxerr.EINVAL},
		{65536, false, 65536, nil}, // shrinking needs no privilege
	} {
		got, err := p.SetSize(tc.size, tc.privileged)
		if got != tc.want || err != tc.err {
			t.Errorf("SetSize(%d, %v) = %d, %v; want %d, %v", tc.size, tc.privileged, got, err, tc.want, tc.err)
		}
	}
	// EBUSY counts pages in use, not bytes.
	w.Write(&testCtx{}, make([]byte, 3*4096))
	if _, err := p.SetSize(8192, false); err != linuxerr.EBUSY {
		t.Errorf("shrink below 3 pages: %v", err)
	}
	if n, err := p.SetSize(16384, false); n != 16384 || err != nil {
		t.Errorf("shrink to 4 pages: %d, %v", n, err)
	}
	if got := fillPipe(t, w, 4096); got != 4096 {
		t.Errorf("room left: %d", got)
	}
	r2, w2 := NewPipe(O_NONBLOCK | O_DIRECT)
	mustWrite(t, w2, "a")
	mustWrite(t, w2, "b")
	if _, err := PipeOf(r2).SetSize(4096, false); err != linuxerr.EBUSY {
		t.Errorf("two 1-byte packets in one page: %v", err)
	}
	if got := fillPipe(t, w2, 1); got != 14 {
		t.Errorf("packets after the two: %d", got)
	}
}

func TestPipeEnds(t *testing.T) {
	r, w := NewPipe(0)
	c := &testCtx{}
	// A blocking write larger than the pipe completes while a reader
	// drains it.
	data := make([]byte, 300000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if n, err := w.Write(c, data); n != len(data) || err != nil {
			t.Errorf("blocking write: %d, %v", n, err)
		}
		w.DecRef()
	}()
	var got []byte
	for {
		b := make([]byte, 10000)
		n, err := r.Read(c, b)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break // EOF: the writer closed
		}
		got = append(got, b[:n]...)
	}
	wg.Wait()
	if !bytes.Equal(got, data) {
		t.Errorf("read %d bytes, not what was written", len(got))
	}
	e := r.Ops().(Pollable)
	if ev := e.Readiness(r, EventIn); ev != EventHup {
		t.Errorf("read end without writers: %#x", ev)
	}
	// EPIPE and the SigPipe hook when the last reader is gone.
	r2, w2 := NewPipe(0)
	sigs := 0
	PipeOf(w2).SigPipe = func(Ctx) { sigs++ }
	r2.DecRef()
	if n, err := w2.Write(c, []byte("x")); n != 0 || err != linuxerr.EPIPE || sigs != 1 {
		t.Errorf("write without readers: %d, %v, %d signals", n, err, sigs)
	}
	if ev := w2.Ops().(Pollable).Readiness(w2, EventOut); ev != EventOut|EventErr {
		t.Errorf("write end without readers: %#x", ev)
	}
}

// TestTee: tee copies without consuming, and the copies take no merges.
func TestTee(t *testing.T) {
	c := &testCtx{}
	pr, pw := NewPipe(O_NONBLOCK)
	qr, qw := NewPipe(O_NONBLOCK)
	mustWrite(t, pw, "abcdef")
	if n, err := Tee(c, pr, qw, 4, 0); n != 4 || err != nil {
		t.Fatalf("tee: %d, %v", n, err)
	}
	PipeOf(qr).SetSize(4096, false)
	if n, err := qw.Write(c, []byte("x")); err != linuxerr.EAGAIN {
		t.Errorf("write after a tee merged into the shared page: %d, %v", n, err)
	}
	mustWrite(t, pw, "gh") // the source still merges, past the copy's view
	if got := string(mustRead(t, qr, 100)); got != "abcd" {
		t.Errorf("teed: %q", got)
	}
	if got := string(mustRead(t, pr, 100)); got != "abcdefgh" {
		t.Errorf("source: %q", got)
	}
	for _, tc := range []struct {
		in, out *File
		err     error
	}{
		{pr, pw, linuxerr.EINVAL}, // same pipe
		{pw, qw, linuxerr.EBADF},
		{pr, qr, linuxerr.EBADF},
		{pr, qw, linuxerr.EAGAIN}, // empty
	} {
		if _, err := Tee(c, tc.in, tc.out, 10, 0); err != tc.err {
			t.Errorf("tee: %v, want %v", err, tc.err)
		}
	}
	pw.DecRef()
	if n, err := Tee(c, pr, qw, 10, 0); n != 0 || err != nil {
		t.Errorf("tee from an empty pipe without writers: %d, %v", n, err)
	}
}

// TestSplicePipes: whole buffers move with their merging; a part of one is
// shared and takes no merges.
func TestSplicePipes(t *testing.T) {
	c := &testCtx{}
	pr, pw := NewPipe(O_NONBLOCK)
	qr, qw := NewPipe(O_NONBLOCK)
	PipeOf(qw).SetSize(4096, false)
	mustWrite(t, pw, "0123456789")
	if n, err := Splice(c, pr, nil, qw, nil, 100, 0); n != 10 || err != nil {
		t.Fatalf("splice: %d, %v", n, err)
	}
	mustWrite(t, qw, "a")
	if got := string(mustRead(t, qr, 100)); got != "0123456789a" {
		t.Errorf("moved: %q", got)
	}
	mustWrite(t, pw, "0123456789")
	if n, err := Splice(c, pr, nil, qw, nil, 4, 0); n != 4 || err != nil {
		t.Fatalf("splice 4: %d, %v", n, err)
	}
	if _, err := qw.Write(c, []byte("b")); err != linuxerr.EAGAIN {
		t.Errorf("write merged into a partly spliced buffer: %v", err)
	}
	if got := string(mustRead(t, qr, 100)) + "|" + string(mustRead(t, pr, 100)); got != "0123|456789" {
		t.Errorf("split: %q", got)
	}
	if _, err := Splice(c, pr, nil, pw, nil, 1, 0); err != linuxerr.EINVAL {
		t.Errorf("splice to the same pipe: %v", err)
	}
	off := int64(0)
	if _, err := Splice(c, pr, &off, qw, nil, 1, 0); err != linuxerr.ESPIPE {
		t.Errorf("offset for a pipe: %v", err)
	}
	if _, err := Splice(c, pr, nil, qw, nil, 1, 0); err != linuxerr.EAGAIN {
		t.Errorf("empty: %v", err)
	}
	pw.DecRef()
	if n, err := Splice(c, pr, nil, qw, nil, 1, 0); n != 0 || err != nil {
		t.Errorf("empty without writers: %d, %v", n, err)
	}
}

func patternFile(n int) *RamFile {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return NewRamFile(0o644, b)
}

func TestSpliceFile(t *testing.T) {
	c := &testCtx{}
	src := NewFile(patternFile(10000), "/src", O_RDWR, nil)
	pr, pw := NewPipe(O_NONBLOCK)
	// From the position, which advances; from an offset, which advances
	// instead.
	if n, err := Splice(c, src, nil, pw, nil, 10, SPLICE_F_MOVE); n != 10 || err != nil || src.pos() != 10 {
		t.Fatalf("splice from the position: %d, %v, position %d", n, err, src.pos())
	}
	off := int64(9990)
	if n, err := Splice(c, src, &off, pw, nil, 100, 0); n != 10 || err != nil || off != 10000 || src.pos() != 10 {
		t.Fatalf("splice from an offset: %d, %v, offset %d, position %d", n, err, off, src.pos())
	}
	if got := string(mustRead(t, pr, 100)); got != "abcdefghijghijklmnop" {
		t.Errorf("spliced %q", got)
	}
	// A file's pages cut what a two-page pipe takes.
	PipeOf(pw).SetSize(8192, false)
	off = 100
	if n, err := Splice(c, src, &off, pw, nil, 100000, 0); n != 8092 || err != nil {
		t.Errorf("unaligned splice into two pages: %d, %v", n, err)
	}
	mustRead(t, pr, 4096)
	if n, err := Splice(c, src, &off, pw, nil, 100000, 0); n != 1808 || err != nil {
		t.Errorf("splice to the end: %d, %v", n, err)
	}
	mustRead(t, pr, 10000)
	// Pipe to file, at an offset.
	dst := NewFile(NewRamFile(0o644, nil), "/dst", O_RDWR, nil)
	mustWrite(t, pw, "hello, splice")
	off = 100
	if n, err := Splice(c, pr, nil, dst, &off, 100, 0); n != 13 || err != nil || off != 113 || dst.pos() != 0 {
		t.Errorf("splice to a file: %d, %v, offset %d", n, err, off)
	}
	got := make([]byte, 13)
	dst.Pread(c, got, 100)
	if string(got) != "hello, splice" {
		t.Errorf("file has %q", got)
	}
	if _, err := Splice(c, pr, nil, dst, nil, 10, 0); err != linuxerr.EAGAIN {
		t.Errorf("empty pipe: %v", err)
	}
	if _, err := Splice(c, src, nil, dst, nil, 10, 0); err != linuxerr.EINVAL {
		t.Errorf("no pipe: %v", err)
	}
	// Devices: /dev/null cannot be read by splice, /dev/full written.
	null := NewFile(nil, "/dev/null", O_RDWR, nullOps{})
	full := NewFile(nil, "/dev/full", O_RDWR, fullOps{})
	if _, err := Splice(c, null, nil, pw, nil, 10, 0); err != linuxerr.EINVAL {
		t.Errorf("from /dev/null: %v", err)
	}
	if n, err := Splice(c, full, nil, pw, nil, 10, 0); n != 10 || err != nil {
		t.Errorf("from /dev/full: %d, %v", n, err)
	}
	if _, err := Splice(c, pr, nil, full, nil, 10, 0); err != linuxerr.EINVAL {
		t.Errorf("to /dev/full: %v", err)
	}
	if n, err := Splice(c, pr, nil, null, nil, 100, 0); n != 10 || err != nil {
		t.Errorf("to /dev/null: %d, %v", n, err)
	}
}

func TestSendfile(t *testing.T) {
	c := &testCtx{}
	src := NewFile(patternFile(300000), "/src", O_RDONLY, nil)
	dst := NewFile(NewRamFile(0o644, nil), "/dst", O_RDWR, nil)
	if n, err := Sendfile(c, dst, src, nil, 1<<20); n != 300000 || err != nil || src.pos() != 300000 || dst.pos() != 300000 {
		t.Fatalf("sendfile: %d, %v, positions %d %d", n, err, src.pos(), dst.pos())
	}
	off := int64(299990)
	if n, err := Sendfile(c, dst, src, &off, 100); n != 10 || err != nil || off != 300000 || src.pos() != 300000 {
		t.Errorf("sendfile at an offset: %d, %v, offset %d", n, err, off)
	}
	if a := dst.Inode.Attr(); a.Size != 300010 {
		t.Errorf("size %d", a.Size)
	}
	pr, pw := NewPipe(O_NONBLOCK)
	off = 26
	if n, err := Sendfile(c, pw, src, &off, 10); n != 10 || err != nil || string(mustRead(t, pr, 100)) != "abcdefghij" {
		t.Errorf("sendfile to a pipe: %d, %v", n, err)
	}
	for _, tc := range []struct {
		out, in *File
		off     *int64
		err     error
	}{
		{dst, pr, nil, linuxerr.EINVAL},
		{dst, pr, &off, linuxerr.ESPIPE},
		{nil, src, nil, linuxerr.EBADF},
		{src, dst, nil, linuxerr.EBADF},
		{dst, pw, nil, linuxerr.EBADF},
	} {
		if _, err := Sendfile(c, tc.out, tc.in, tc.off, 10); err != tc.err {
			t.Errorf("sendfile: %v, want %v", err, tc.err)
		}
	}
}

// otherFS is a regular file on another file system.
type otherFS struct{ *RamFile }

func (o otherFS) Attr() Attr { a := o.RamFile.Attr(); a.Dev = 42; return a }

func TestCopyFileRange(t *testing.T) {
	c := &testCtx{}
	data := patternFile(10000)
	src := NewFile(data, "/src", O_RDWR, nil)
	dst := NewFile(NewRamFile(0o644, nil), "/dst", O_RDWR, nil)
	if n, err := CopyFileRange(c, src, nil, dst, nil, 30); n != 30 || err != nil || src.pos() != 30 || dst.pos() != 30 {
		t.Fatalf("copy: %d, %v", n, err)
	}
	oi, oo := int64(9990), int64(5000)
	if n, err := CopyFileRange(c, src, &oi, dst, &oo, 100); n != 10 || err != nil || oi != 10000 || oo != 5010 || src.pos() != 30 {
		t.Errorf("copy at offsets: %d, %v, %d %d", n, err, oi, oo)
	}
	at := func(a, b int64) (int, error) { return CopyFileRange(c, src, &a, src, &b, 100) }
	if n, err := at(0, 20000); n != 100 || err != nil {
		t.Errorf("within a file, apart: %d, %v", n, err)
	}
	if _, err := at(0, 50); err != linuxerr.EINVAL {
		t.Errorf("overlap: %v", err)
	}
	other := NewFile(otherFS{NewRamFile(0o644, nil)}, "/other", O_RDWR, nil)
	pr, _ := NewPipe(0)
	for _, tc := range []struct {
		in, out *File
		err     error
	}{
		{src, other, linuxerr.EXDEV},
		{pr, dst, linuxerr.EINVAL},
		{src, NewFile(NewRamFile(0o644, nil), "/a", O_WRONLY|O_APPEND, nil), linuxerr.EBADF},
		{NewFile(NewRamDir(nil, 0o755), "/", O_RDONLY, nil), dst, linuxerr.EISDIR},
	} {
		if _, err := CopyFileRange(c, tc.in, nil, tc.out, nil, 10); !errors.Is(err, tc.err) {
			t.Errorf("copy: %v, want %v", err, tc.err)
		}
	}
	oi = -1
	if _, err := CopyFileRange(c, src, &oi, dst, nil, 10); err != linuxerr.EOVERFLOW {
		t.Errorf("negative offset: %v", err)
	}
}

// TestPipeChargesUserMemory checks that a pipe's data is charged to user
// memory while it is in the pipe (mm/reserve.go) and given back when it
// is read or when the last end goes, and that a write finding no user
// memory left fails with ENOMEM.
func TestPipeChargesUserMemory(t *testing.T) {
	c := &testCtx{}
	base := mm.Charged()
	r, w := NewPipe(O_NONBLOCK)
	if n := fillPipe(t, w, 4096); n != PipeBufSize {
		t.Fatalf("filled %d bytes", n)
	}
	if got := mm.Charged() - base; got != PipeDefBuffers {
		t.Fatalf("a full pipe charges %d pages, want %d", got, PipeDefBuffers)
	}
	mustRead(t, r, 4096)
	if got := mm.Charged() - base; got != PipeDefBuffers-1 {
		t.Fatalf("after reading a page: %d pages charged, want %d", got, PipeDefBuffers-1)
	}
	r.DecRef()
	w.DecRef()
	if got := mm.Charged() - base; got != 0 {
		t.Fatalf("after the last end: %d pages still charged", got)
	}

	// With the whole of memory reserved, nothing may be charged.
	total, _, _ := mm.FrameStats()
	old := mm.UserReserve()
	mm.SetUserReserve(total)
	defer mm.SetUserReserve(old)
	r, w = NewPipe(O_NONBLOCK)
	defer r.DecRef()
	defer w.DecRef()
	if _, err := w.Write(c, []byte("x")); err != linuxerr.ENOMEM {
		t.Fatalf("write with no user memory left: %v, want ENOMEM", err)
	}
}
