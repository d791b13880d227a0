package qemu

import (
	"context"
	"debug/elf"
	_ "embed"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// GDBConfig describes a debugging session.
type GDBConfig struct {
	Boot Config // the boot to debug; its GDBPort is chosen if 0
	// Program is the host path of a user program whose symbols gdb loads
	// at the addresses the kernel runs it at ("" for none).
	Program string
	// Commands run in gdb after it attached (batch mode if Batch).
	Commands []string
	Batch    bool
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
}

// helpers is the gdb extension with oyako's commands (oyako-ps,
// oyako-regs, oyako-syscall, oyako-log, oyako-maps).
//
//go:embed gdb/oyako.py
var helpers []byte

// Where the kernel loads a position-independent program (there is no
// randomization): with an interpreter at etDynBase (kernel/mm.ETDynBase),
// without one (static-PIE) as a whole just below mmapBase
// (kernel/mm.MmapBase), as Linux does. A test keeps them equal.
const (
	etDynBase = 0x555555554000
	mmapBase  = 0x7ffff7fff000
)

// SymbolFileCommand returns the gdb command that loads program's symbols
// where the kernel maps it: at its link addresses (ET_EXEC), or moved by
// the kernel's fixed placement (ET_DYN).
func SymbolFileCommand(program string) (string, error) {
	f, err := elf.Open(program)
	if err != nil {
		return "", err
	}
	defer f.Close()
	switch f.Type {
	case elf.ET_EXEC:
		return fmt.Sprintf("add-symbol-file %s", program), nil
	case elf.ET_DYN:
		var lo, hi uint64 = ^uint64(0), 0
		interp := false
		for _, p := range f.Progs {
			switch p.Type {
			case elf.PT_INTERP:
				interp = true
			case elf.PT_LOAD:
				lo = min(lo, p.Vaddr&^0xfff)
				hi = max(hi, (p.Vaddr+p.Memsz+0xfff)&^0xfff)
			}
		}
		if hi == 0 {
			break
		}
		base := uint64(etDynBase)
		if !interp {
			base = mmapBase - (hi - lo)
		}
		return fmt.Sprintf("add-symbol-file %s -o %#x", program, base-lo), nil
	}
	return "", fmt.Errorf("%s: not an executable ELF file (type %v)", program, f.Type)
}

// FreePort returns a TCP port on 127.0.0.1 that is free right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// GDB boots the kernel halted at its first instruction with QEMU's gdb
// stub, attaches gdb with the kernel's symbols (the kernel runs at its
// link addresses, so breakpoints on Go functions work), runs the commands,
// and returns when gdb exits, with QEMU's result if the guest ended by
// itself (its exit status) before that. QEMU is killed then.
func GDB(ctx context.Context, g GDBConfig) (*Result, error) {
	if _, err := exec.LookPath("gdb"); err != nil {
		return nil, fmt.Errorf("gdb not found: install Debian's gdb (make gdb does)")
	}
	var symbols string
	if g.Program != "" {
		c, err := SymbolFileCommand(g.Program)
		if err != nil {
			return nil, err
		}
		symbols = c
	}
	script, err := os.CreateTemp("", "oyako-gdb-*.py")
	if err != nil {
		return nil, err
	}
	defer os.Remove(script.Name())
	if _, err := script.Write(helpers); err != nil {
		return nil, err
	}
	script.Close()
	if g.Boot.GDBPort == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		g.Boot.GDBPort = p
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type outcome struct {
		res *Result
		err error
	}
	qemuDone := make(chan outcome, 1)
	started := make(chan struct{})
	g.Boot.Started = func(*os.Process) { close(started) }
	go func() {
		res, err := Run(ctx, g.Boot)
		qemuDone <- outcome{res, err}
	}()
	select {
	case <-started:
	case o := <-qemuDone:
		return nil, fmt.Errorf("QEMU did not start: %v", o.err)
	}
	// Wait for the stub to listen.
	addr := "127.0.0.1:" + strconv.Itoa(g.Boot.GDBPort)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			return nil, fmt.Errorf("QEMU's gdb stub did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	args := []string{"-q", "-nx"}
	// Let gdb load the Go runtime's extension (info goroutines, goroutine N bt).
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		args = append(args, "-iex", "add-auto-load-safe-path "+strings.TrimSpace(string(out))+"/src/runtime")
	}
	args = append(args,
		"-ex", "set pagination off",
		"-ex", "set confirm off",
		"-ex", "set architecture i386:x86-64",
		// Read code from the ELF files rather than through the guest's
		// page tables: a program's text page is mapped when first run
		// (demand paging), and x/i at a breakpoint before that would fail.
		"-ex", "set trust-readonly-sections on",
		"-ex", "file "+g.Boot.Kernel,
		"-ex", "source "+script.Name(),
	)
	if symbols != "" {
		args = append(args, "-ex", symbols)
	}
	args = append(args, "-ex", "target remote "+addr)
	for _, c := range g.Commands {
		args = append(args, "-ex", c)
	}
	if g.Batch {
		args = append(args, "-batch")
	}
	cmd := exec.CommandContext(ctx, "gdb", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = g.Stdin, g.Stdout, g.Stderr
	err = cmd.Run()
	// gdb ends when the guest powers off ("Remote connection closed"):
	// give QEMU a moment to report the status it exited with.
	select {
	case o := <-qemuDone:
		if o.res != nil && o.res.Status >= 0 {
			return o.res, nil
		}
		return o.res, err
	case <-time.After(2 * time.Second):
	}
	cancel()
	o := <-qemuDone
	return o.res, err
}
