package kernel

import (
	"errors"
	"fmt"
	"io"
	"unsafe"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
	"oyako/fs"
	"oyako/kernel/klog"
	"oyako/kernel/mm"
	"oyako/kernel/virtio"
)

// init's standard streams when they are not the console. `oyako run`
// decides, for each of stdin, stdout and stderr, whether the program gets
// the console terminal or a pipe, as the same program run from a shell
// would (a terminal there, or a pipe, a file, /dev/null). The kernel
// learns the choice from its command line (stdio=XYZ, see
// cmd/oyako-kernel) and carries the piped streams over a virtio console
// device with one port per stream (QEMU virtserialport nr=1 stdin, 2
// stdout, 3 stderr), reached through virtio-mmio on QEMU's microvm.
//
// The program's end of each stream is an ordinary anonymous pipe (what a
// shell gives it): S_IFIFO, no line discipline, PIPE_BUF atomicity,
// EAGAIN when non-blocking, poll and epoll, EPIPE and SIGPIPE. The kernel
// holds the other end, and a goroutine per stream moves the data between
// it and the port ("pumps"):
//
//   - stdin: received buffers are written into the pipe, blocking while
//     it is full, so the device runs out of buffers and QEMU stops
//     reading the host's stream (flow control). When the host side
//     closes (PORT_OPEN 0) and the buffers are drained, the pipe's write
//     end closes: end of file. If the program closed every read end, the
//     pump says so to the host (one byte on the port) and drops the rest.
//   - stdout, stderr: what the pipe holds is read straight into transmit
//     pages, a batch at a time, and sent; the device returns a page once
//     QEMU wrote it to the host, so a slow host reader leaves the pump
//     without pages and the program blocks on a full pipe, as a pipe
//     writer does. When the host side closes (its reader went away) the
//     pipe's read end closes, and the program's writes fail with EPIPE
//     and SIGPIPE. FlushStdio sends what is left before the machine
//     powers off.

// QEMU microvm's virtio-mmio transports (hw/i386/microvm.c:
// VIRTIO_MMIO_BASE, 512 bytes apart; 24 of them with the second IOAPIC,
// else 8).
const (
	virtioMMIOBase   = 0xfeb00000
	virtioTransports = 24
)

// virtioIRQ is the register base of the virtio-mmio transport
// interrupting on each GSI (0: none).
var virtioIRQ [amd64.NumIRQs]uintptr

// virtioInterrupt runs in interrupt context. virtio-mmio interrupts are
// level-triggered (the line is up while InterruptStatus is not 0) and the
// IOAPIC entry is edge-triggered: acknowledging every status bit the
// device set, until the status reads 0, lowers the line, so the next
// event raises it again and interrupts.
func virtioInterrupt(irq int) {
	base := virtioIRQ[irq]
	for {
		s := amd64.MMIORead32(base + virtio.RegInterruptStatus)
		if s == 0 {
			break
		}
		amd64.MMIOWrite32(base+virtio.RegInterruptACK, s)
	}
	signalIRQ(irq)
}

// virtioGSI is the GSI transport i interrupts on (microvm_devices_init):
// 24+i with the second IOAPIC; 16+i with ACPI but one IOAPIC; 5+i without
// ACPI (no RSDP).
func virtioGSI(i int) int {
	switch {
	case amd64.IOAPIC2Present:
		return 24 + i
	case Boot.RSDP != 0:
		return 16 + i
	}
	return 5 + i
}

// mmioRegs is a virtio-mmio transport's register window.
type mmioRegs uintptr

func (r mmioRegs) Read32(off uintptr) uint32     { return amd64.MMIORead32(uintptr(r) + off) }
func (r mmioRegs) Write32(off uintptr, v uint32) { amd64.MMIOWrite32(uintptr(r)+off, v) }

// frameMemory gives devices physical frames (no IOMMU: the physical
// address is the device's), reached through the direct map.
type frameMemory struct{}

func (frameMemory) AllocPage() ([]byte, uint64, error) {
	pa, err := mm.AllocZeroedFrame()
	if err != mm.OK {
		return nil, 0, err
	}
	return unsafe.Slice((*byte)(amd64.Ptr(mm.PhysToVirt(pa))), mm.PageSize), pa, nil
}

// findVirtio probes microvm's virtio-mmio transports for a device of the
// given ID and returns its transport and slot; ok is false if there is
// none. A legacy transport with a device is logged (QEMU needs -global
// virtio-mmio.force-legacy=false).
func findVirtio(id uint32) (t *virtio.Transport, slot int, ok bool) {
	n := 8
	if amd64.IOAPIC2Present {
		n = virtioTransports
	}
	for i := 0; i < n; i++ {
		t, err := virtio.Probe(mmioRegs(virtioMMIOBase + i*virtio.MMIOSize))
		if err == nil && t.DeviceID == id {
			return t, i, true
		}
		if err != nil && err != virtio.ErrNoDevice {
			klog.Log("oyako: " + err.Error())
		}
	}
	return nil, 0, false
}

// bindVirtioIRQ routes the interrupt of the transport in slot to fn, run
// in a goroutine of its own (onIRQ) once ready is closed: the interrupt
// is on before the driver starts the device (a reset), and fn acts only
// once the driver exists.
func bindVirtioIRQ(slot int, name string, ready <-chan struct{}, fn func()) error {
	gsi := virtioGSI(slot)
	if err := onIRQ(gsi, name, func() { <-ready; fn() }); err != nil {
		return err
	}
	flags := amd64.SaveFlagsCli()
	virtioIRQ[gsi] = virtioMMIOBase + uintptr(slot)*virtio.MMIOSize
	amd64.RestoreFlags(flags)
	amd64.EnableIRQ(gsi)
	return nil
}

// Buffers per port: 128 receive pages for stdin (the most one queue
// page's rings hold), 32 transmit pages for an output stream. The other
// direction of each port needs one page: QEMU notices a host side
// closing only while the guest can receive on the port, and stdin sends
// one byte when its reader is gone.
const (
	stdinBuffers  = 128
	outputBuffers = 32
	// outputBatch is how many pages an output pump fills before sending.
	outputBatch = 16
)

// Port numbers of the streams (QEMU virtserialport nr), and of the port
// that carries the host terminal's window size.
const (
	portStdin  = 1
	portStdout = 2
	portStderr = 3
	portResize = 4
)

var outPumps []*outPump

// StartStdio sets up init's standard streams as modes says: one letter
// each for stdin, stdout and stderr, 't' for the console terminal or 'p'
// for a pipe to the host; stderr may also be '1', the very pipe stdout
// has (the host's stderr is its stdout, as with 2>&1). It returns the
// files for descriptors 0, 1 and 2, nil where the console serves. With
// resize, port 4 brings the host terminal's new sizes (4-byte records:
// rows and columns, 16-bit little-endian), which resize the console and
// send its foreground group SIGWINCH.
func StartStdio(modes string, resize bool) (files [3]*fs.File, err error) {
	if modes == "" {
		modes = "ttt"
	}
	if len(modes) != 3 || !validMode(modes[0], "tp") || !validMode(modes[1], "tp") || !validMode(modes[2], "tp1") ||
		modes[2] == '1' && modes[1] != 'p' {
		return files, fmt.Errorf("stdio=%s: want three of t (terminal) or p (pipe); stderr may be 1 (stdout's pipe)", modes)
	}
	if modes == "ttt" && !resize {
		return files, nil
	}
	t, slot, ok := findVirtio(virtio.DeviceConsole)
	if !ok {
		return files, errors.New("no virtio console (QEMU -device virtio-serial-device on microvm)")
	}
	var ports []virtio.PortConfig
	if modes[0] == 'p' {
		ports = append(ports, virtio.PortConfig{ID: portStdin, RxBuffer: stdinBuffers, TxBuffer: 1, Reader: true})
	}
	if modes[1] == 'p' {
		ports = append(ports, virtio.PortConfig{ID: portStdout, RxBuffer: 1, TxBuffer: outputBuffers})
	}
	if modes[2] == 'p' {
		ports = append(ports, virtio.PortConfig{ID: portStderr, RxBuffer: 1, TxBuffer: outputBuffers})
	}
	if resize {
		ports = append(ports, virtio.PortConfig{ID: portResize, RxBuffer: 2, TxBuffer: 1, Reader: true})
	}

	var con *virtio.Console
	ready := make(chan struct{})
	if err := bindVirtioIRQ(slot, "virtio console", ready, func() { con.Interrupt() }); err != nil {
		return files, err
	}
	if con, err = virtio.NewConsole(t, frameMemory{}, ports); err != nil {
		return files, err
	}
	close(ready)
	con.Interrupt() // what happened before the interrupt was bound

	if modes[0] == 'p' {
		r, w := fs.NewPipe(0)
		files[0] = r
		go (&inPump{port: con.Port(portStdin), w: w}).run()
	}
	for i, id := range [...]uint32{1: portStdout, 2: portStderr} {
		if i == 0 || modes[i] != 'p' {
			continue
		}
		r, w := fs.NewPipe(0)
		r.SetStatusFlags(fs.O_NONBLOCK)
		files[i] = w
		o := &outPump{port: con.Port(id), r: r, flush: make(chan struct{}), done: make(chan struct{})}
		outPumps = append(outPumps, o)
		go o.run()
	}
	if modes[2] == '1' {
		files[1].IncRef()
		files[2] = files[1]
	}
	if resize {
		go resizeConsole(con.Port(portResize))
	}
	return files, nil
}

// resizeConsole applies the window sizes the host sends.
func resizeConsole(p *virtio.Port) {
	var rec []byte
	for {
		err := p.Receive(func(b []byte) error {
			rec = append(rec, b...)
			for len(rec) >= 4 {
				Console.Resize(fs.Winsize{Row: uint16(rec[0]) | uint16(rec[1])<<8, Col: uint16(rec[2]) | uint16(rec[3])<<8})
				rec = rec[4:]
			}
			return nil
		})
		if err != nil {
			return
		}
	}
}

func validMode(c byte, set string) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

// FlushStdio sends what the output streams still hold to the host and
// waits until QEMU took it: the last step before powering off.
func FlushStdio() {
	for _, o := range outPumps {
		close(o.flush)
	}
	for _, o := range outPumps {
		<-o.done
	}
}

// errFlushing ends a pump's wait when the machine is about to power off.
var errFlushing = errors.New("flushing")

// kernelCtx is the fs.Ctx of the kernel's goroutines that read and write
// pipes: a wait ends early only when cancel closes; they never copy
// user memory.
type kernelCtx struct{ cancel <-chan struct{} }

func (k *kernelCtx) Block(ready <-chan struct{}) error {
	select {
	case <-ready:
		return nil
	case <-k.cancel:
		return errFlushing
	}
}

func (*kernelCtx) CopyIn(uintptr, []byte) error  { return linuxerr.EFAULT }
func (*kernelCtx) CopyOut(uintptr, []byte) error { return linuxerr.EFAULT }
func (*kernelCtx) PID() int32                    { return 0 }

// inPump moves the host's input into the stdin pipe's write end.
type inPump struct {
	port *virtio.Port
	w    *fs.File
}

func (p *inPump) run() {
	ctx := &kernelCtx{}
	broken := false
	for {
		err := p.port.Receive(func(b []byte) error {
			for len(b) > 0 && !broken {
				n, err := p.w.Write(ctx, b)
				b = b[n:]
				if err != nil {
					// Every read end is closed (EPIPE): tell the
					// host, whose writer then gets EPIPE in turn.
					broken = true
					p.readerGone()
				}
			}
			return nil
		})
		if err == io.EOF {
			p.w.DecRef()
			return
		}
	}
}

// readerGone sends the host one byte on the stdin port.
func (p *inPump) readerGone() {
	b, err := p.port.Buffer(true)
	if err != nil {
		return
	}
	b.Data[0], b.N = 0, 1
	p.port.Send(b)
}

// outPump moves what the program writes to an output pipe to the host.
type outPump struct {
	port  *virtio.Port
	r     *fs.File // the read end, non-blocking
	flush chan struct{}
	done  chan struct{}
}

func (p *outPump) run() {
	defer close(p.done)
	ctx := &kernelCtx{cancel: p.flush}
	pe := p.r.Ops().(fs.Pollable)
	ready := func() bool { return pe.Readiness(p.r, fs.EventIn|fs.EventHup) != 0 }
	flushing := false
	for {
		batch, eof, err := p.fill(ctx)
		if err == nil && len(batch) > 0 {
			err = p.port.Send(batch...)
		}
		if err != nil {
			// The host's reader is gone: so is the pipe's.
			p.r.DecRef()
			return
		}
		if eof || flushing && len(batch) == 0 {
			p.port.Flush()
			if eof {
				p.r.DecRef()
			}
			return
		}
		if len(batch) > 0 {
			continue
		}
		if fs.WaitReady(ctx, pe.EventQueue(), fs.EventIn, ready) != nil {
			flushing = true
			ctx = &kernelCtx{}
		}
	}
}

// fill reads what the pipe holds into transmit pages, at most
// outputBatch of them, waiting for a free page only when it has none. eof
// is the pipe's end of file (no writers left and nothing in it); err is
// the port's closing.
func (p *outPump) fill(ctx fs.Ctx) (batch []*virtio.Buf, eof bool, err error) {
	for len(batch) < outputBatch {
		b, err := p.port.Buffer(len(batch) == 0)
		if err != nil {
			return batch, false, err
		}
		if b == nil {
			return batch, false, nil
		}
		n, rerr := p.r.Read(ctx, b.Data)
		if n <= 0 {
			p.port.Release(b)
			return batch, rerr == nil, nil
		}
		b.N = n
		batch = append(batch, b)
		if rerr != nil {
			return batch, false, nil
		}
	}
	return batch, false, nil
}
