// Command signals is a static Go program (CGO_ENABLED=0) that exercises the
// signals the Go runtime and os/signal rely on: a signal sent to itself and
// received through signal.Notify, signal.Ignore and signal.Reset, faults
// (a nil pointer dereference and an integer division by zero) recovered as
// runtime panics through the runtime's SIGSEGV and SIGFPE handlers, the
// runtime's asynchronous preemption of a goroutine spinning without calls
// (SIGURG through tgkill) with GOMAXPROCS=1, SIGPIPE on a write to a pipe
// whose reader is gone, and a child killed by SIGTERM as os/exec reports it.
// It prints only deterministic facts.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

var parts = []struct {
	name string
	run  func()
}{
	{"notify", notify},
	{"ignore", ignoreReset},
	{"nil", nilDeref},
	{"div", divZero},
	{"preempt", preempt},
	{"sigpipe", sigpipe},
	{"kill", childKilled},
}

// main runs every part, or those named by its arguments.
func main() {
	want := map[string]bool{}
	for _, a := range os.Args[1:] {
		want[a] = true
	}
	for _, p := range parts {
		if len(want) == 0 || want[p.name] {
			p.run()
		}
	}
}

// notify: SIGUSR1 sent to the process arrives on the channel.
func notify() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGUSR2)
	for _, s := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2} {
		if err := syscall.Kill(os.Getpid(), s); err != nil {
			fmt.Println("kill:", err)
		}
		select {
		case got := <-c:
			fmt.Printf("Notify: received %v (%d)\n", got, got.(syscall.Signal))
		case <-time.After(10 * time.Second):
			fmt.Printf("Notify: %v not received\n", s)
		}
	}
	// A signal sent to one thread (tgkill) reaches the channel too.
	if err := syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGUSR1); err != nil {
		fmt.Println("tgkill:", err)
	}
	select {
	case got := <-c:
		fmt.Printf("Notify: tgkill received %v\n", got)
	case <-time.After(10 * time.Second):
		fmt.Println("Notify: tgkill not received")
	}
	signal.Stop(c)
	fmt.Println("Notified(SIGUSR1) after Stop:", signal.Ignored(syscall.SIGUSR1))
}

// ignoreReset: an ignored signal is dropped; after Reset, SIGUSR1's
// default action would kill, so only Ignore and Notify are tried live.
func ignoreReset() {
	signal.Ignore(syscall.SIGUSR1)
	fmt.Println("Ignored(SIGUSR1):", signal.Ignored(syscall.SIGUSR1))
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	time.Sleep(10 * time.Millisecond)
	fmt.Println("survived an ignored SIGUSR1")

	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	fmt.Println("Ignored after Notify:", signal.Ignored(syscall.SIGUSR1))
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	fmt.Println("after Notify:", <-c)
	signal.Reset(syscall.SIGUSR1)
	fmt.Println("Ignored after Reset:", signal.Ignored(syscall.SIGUSR1))

	// SIGHUP ignored, then reset to its default: a child shows which.
	signal.Ignore(syscall.SIGHUP)
	fmt.Println("Ignored(SIGHUP):", signal.Ignored(syscall.SIGHUP))
	signal.Reset(syscall.SIGHUP)
	fmt.Println("Ignored(SIGHUP) after Reset:", signal.Ignored(syscall.SIGHUP))

	// Blocked by the kernel's view: /proc/self/status SigIgn shows SIGUSR2
	// (bit 12) while it is ignored.
	signal.Ignore(syscall.SIGUSR2)
	fmt.Println("SigIgn has SIGUSR2:", sigIgn()&(1<<(12-1)) != 0)
	signal.Reset(syscall.SIGUSR2)
	fmt.Println("SigIgn has SIGUSR2 after Reset:", sigIgn()&(1<<(12-1)) != 0)
}

func sigIgn() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	var v uint64
	for _, line := range splitLines(string(b)) {
		if _, err := fmt.Sscanf(line, "SigIgn:\t%x", &v); err == nil {
			return v
		}
	}
	return 0
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

type point struct{ x, y int }

//go:noinline
func deref(p *point) int { return p.y }

// nilDeref: SIGSEGV at a small address becomes a runtime error.
func nilDeref() {
	defer func() {
		r := recover()
		err, ok := r.(runtime.Error)
		fmt.Printf("nil dereference: recovered runtime.Error %v: %v\n", ok, err)
	}()
	var p *point
	fmt.Println(deref(p))
}

// idiv is in div_amd64.s.
func idiv(a, b int64) int64

// divZero: the compiler guards Go's own divisions with a check of its
// own, so the fault path is taken by an IDIVQ in assembly: #DE, SIGFPE
// with FPE_INTDIV, turned by the runtime into a run-time panic.
func divZero() {
	defer func() {
		r := recover()
		err, ok := r.(runtime.Error)
		fmt.Printf("division by zero: recovered runtime.Error %v: %v\n", ok, err)
	}()
	zero := int64(0)
	fmt.Println(idiv(1, zero))
}

// preempt: with one P, a goroutine spinning in a loop without calls is
// preempted by the runtime's SIGURG so that main's timer still fires.
func preempt() {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	stop := false
	done := make(chan bool)
	go func() {
		n := 0
		for !stop {
			n++
		}
		done <- n > 0
	}()
	runtime.Gosched() // let the spinner start
	time.Sleep(50 * time.Millisecond)
	fmt.Println("preempt: timer fired while a goroutine spun")
	stop = true
	fmt.Println("preempt: spinner ran:", <-done)
}

// sigpipe: a write to a pipe with no reader fails with EPIPE; on a
// descriptor other than 1 and 2 the runtime takes SIGPIPE and ignores it.
func sigpipe() {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Println("pipe:", err)
		return
	}
	r.Close()
	_, err = w.Write([]byte("x"))
	fmt.Printf("write to a closed pipe: %v, EPIPE %v\n", err, errors.Is(err, syscall.EPIPE))
	w.Close()

	// A raw write(2) sees EPIPE the same way.
	var p [2]int
	syscall.Pipe(p[:])
	syscall.Close(p[0])
	_, err = syscall.Write(p[1], []byte("y"))
	fmt.Println("raw write:", err)
	syscall.Close(p[1])

	// A child writing to its stdout pipe after the reader is gone dies of
	// SIGPIPE (busybox yes never stops otherwise).
	cmd := exec.Command("yes")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		fmt.Println("start yes:", err)
		return
	}
	buf := make([]byte, 4)
	n, _ := out.Read(buf)
	fmt.Printf("yes wrote %q\n", buf[:n])
	out.Close()
	err = cmd.Wait()
	fmt.Println("yes after its reader closed:", err)
}

// childKilled: a child killed by SIGTERM.
func childKilled() {
	cmd := exec.Command("sleep", "100")
	if err := cmd.Start(); err != nil {
		fmt.Println("start sleep:", err)
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	fmt.Printf("sleep killed: %v; ProcessState %q, Exited %v, Signaled %v, Signal %v, ExitCode %d\n",
		err, cmd.ProcessState.String(), cmd.ProcessState.Exited(), ws.Signaled(), ws.Signal(), cmd.ProcessState.ExitCode())
}
