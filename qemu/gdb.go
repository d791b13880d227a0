package qemu

import (
	"context"
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
	// Commands run in gdb after it attached (batch mode if Batch).
	Commands []string
	Batch    bool
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
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
// and returns when gdb exits. QEMU is killed then.
func GDB(ctx context.Context, g GDBConfig) error {
	if _, err := exec.LookPath("gdb"); err != nil {
		return fmt.Errorf("gdb not found: install Debian's gdb (make gdb does)")
	}
	if g.Boot.GDBPort == 0 {
		p, err := FreePort()
		if err != nil {
			return err
		}
		g.Boot.GDBPort = p
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	qemuDone := make(chan error, 1)
	started := make(chan struct{})
	g.Boot.Started = func(*os.Process) { close(started) }
	go func() {
		_, err := Run(ctx, g.Boot)
		qemuDone <- err
	}()
	select {
	case <-started:
	case err := <-qemuDone:
		return fmt.Errorf("QEMU did not start: %v", err)
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
			return fmt.Errorf("QEMU's gdb stub did not listen on %s", addr)
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
		"-ex", "file "+g.Boot.Kernel,
		"-ex", "target remote "+addr,
	)
	for _, c := range g.Commands {
		args = append(args, "-ex", c)
	}
	if g.Batch {
		args = append(args, "-batch")
	}
	cmd := exec.CommandContext(ctx, "gdb", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = g.Stdin, g.Stdout, g.Stderr
	err := cmd.Run()
	cancel()
	<-qemuDone
	return err
}
