package qemu

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The demo system of make qemu (shell.go), driven as a person at its
// console would.

// console is the serial console of a running kernel as a person at a
// terminal sees it: what has been printed, and a way to type.
type console struct {
	t    *testing.T
	in   *io.PipeWriter
	mu   sync.Mutex
	out  strings.Builder
	seen int // how much of out expect has consumed
	wake chan struct{}
}

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.out.Write(p)
	close(c.wake)
	c.wake = make(chan struct{})
	c.mu.Unlock()
	return len(p), nil
}

// expect waits until the console prints want (after what earlier expects
// consumed), consumes up to it and returns what it consumed.
func (c *console) expect(want string) string {
	c.t.Helper()
	// Generous: the machines running the tests are shared and loaded;
	// the tail of the console says what was missing.
	deadline := time.After(time.Minute)
	for {
		c.mu.Lock()
		rest := c.out.String()[c.seen:]
		wake := c.wake
		if i := strings.Index(rest, want); i >= 0 {
			c.seen += i + len(want)
			c.mu.Unlock()
			return rest[:i+len(want)]
		}
		c.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			c.t.Fatalf("console never printed %q; it printed:\n%s", want, Tail([]byte(c.out.String()), 25))
		}
	}
}

// typeIn types s on the console's keyboard.
func (c *console) typeIn(s string) {
	c.t.Helper()
	if _, err := c.in.Write([]byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

// bootResult is how a boot ended.
type bootResult struct {
	res *Result
	err error
}

// startShell boots kernel with the initramfs image (a demo system) and
// memory ("": the default) behind a console a test types on, and sends
// how the boot ended on done.
func startShell(t *testing.T, kernel string, image []byte, memory string) (c *console, done <-chan bootResult) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shell.cpio")
	if err := os.WriteFile(path, image, 0o644); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	c = &console{t: t, in: pw, wake: make(chan struct{})}
	ch := make(chan bootResult, 1)
	go func() {
		res, err := Run(context.Background(), Config{Kernel: kernel, Initrd: path, Append: "quiet", Memory: memory,
			Timeout: 5 * time.Minute, Console: c, Stdin: pr})
		ch <- bootResult{res, err}
	}()
	return c, ch
}

// TestInteractiveShell drives `make qemu`'s busybox sh over the serial
// console as a person would: it waits for the prompt, types commands,
// runs a pipeline, ends cat with ^D, interrupts a job with ^C, stops one
// with ^Z and lists it (jobs), continues it in the background (bg), stops
// another and brings it back with fg, and leaves with ^D at the prompt,
// which powers off with status 0.
func TestInteractiveShell(t *testing.T) {
	kernel := kernelImage(t)
	bb, err := FindBusybox()
	if err != nil {
		t.Fatal(err)
	}
	// ttyjob (user/c/ttyjob.c) needs a terminal: natively, script(1)'s
	// pseudo-terminal; in oyako, the shell's.
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ttyjob, err := BuildUserC(root, t.TempDir(), "ttyjob")
	if err != nil {
		t.Fatal(err)
	}
	native, err := exec.Command("script", "-qec", ttyjob, "/dev/null").Output()
	if err != nil {
		t.Fatalf("script -c ttyjob (util-linux's script runs it on a pseudo-terminal): %v\n%s", err, native)
	}
	prog, err := os.ReadFile(ttyjob)
	if err != nil {
		t.Fatal(err)
	}
	initrd, err := BuildShellInitramfs(bb, map[string][]byte{"usr/bin/ttyjob": prog})
	if err != nil {
		t.Fatal(err)
	}
	c, done := startShell(t, kernel, initrd, "")
	const prompt = "oyako:~# "
	c.expect(prompt)
	c.typeIn("echo $((6*7))\n")
	c.expect("42")
	c.expect(prompt)
	c.typeIn("seq 1 100 | grep 7 | wc -l\n")
	c.expect("\n19")
	c.expect(prompt)
	// Each job prints a marker first: once it shows, the shell has
	// finished reading its line (in raw mode, typeahead would be its).
	c.typeIn("echo go; cat\n")
	c.expect("\ngo")
	c.typeIn("through cat\n")
	c.expect("through cat") // the terminal's echo
	c.expect("through cat") // cat's copy
	c.typeIn("\x04")
	c.expect(prompt)
	// Job control. A job started as "sh -c 'echo ready-N; exec CMD'"
	// prints its marker from the job's own process, which ash's child
	// makes the terminal's foreground process group (setpgid and
	// tcsetpgrp in forkchild) before it runs anything: once the marker
	// shows, a job control key reaches the job, so each key is pressed
	// once, never on a guess.
	//
	// ^C interrupts a foreground sleep: the prompt comes back at once
	// and the job's status is 128+SIGINT.
	c.typeIn("sh -c 'echo ready-1; exec sleep 100'\n")
	c.expect("\nready-1")
	start := time.Now()
	c.typeIn("\x03")
	c.expect(prompt)
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the prompt came back %v after ^C", d)
	}
	c.typeIn("echo status $?\n")
	c.expect("status 130")
	c.expect(prompt)
	// ^Z stops a foreground job; jobs lists it stopped, bg continues it
	// in the background, jobs lists it running; kill ends it with
	// SIGTERM (143).
	c.typeIn("sh -c 'echo ready-2; exec sleep 100'\n")
	c.expect("\nready-2")
	c.typeIn("\x1a")
	c.expect("Stopped")
	c.expect(prompt)
	c.typeIn("jobs\n")
	c.expect("[1]+  Stopped")
	c.expect(prompt)
	c.typeIn("bg\n")
	c.expect("[1] sh -c")
	c.expect(prompt)
	c.typeIn("jobs\n")
	c.expect("[1]+  Running")
	c.expect(prompt)
	c.typeIn("kill %1; wait %1; echo status $?\n")
	c.expect("status 143")
	c.expect(prompt)
	// ^Z on cat, then fg: fg prints the job, makes it the foreground
	// group and continues it. cat's copy of a line typed after that
	// shows it running in the foreground (the line waits in the
	// terminal's input until cat reads it), so ^C then reaches it.
	c.typeIn("sh -c 'echo ready-3; exec cat'\n")
	c.expect("\nready-3")
	c.typeIn("\x1a")
	c.expect("Stopped")
	c.expect(prompt)
	c.typeIn("fg\n")
	c.expect("exec cat")
	c.typeIn("after fg\n")
	c.expect("after fg") // the terminal's echo
	c.expect("after fg") // cat's copy
	c.typeIn("\x03")
	c.expect(prompt)
	c.typeIn("echo status $?\n")
	c.expect("status 130")
	c.expect(prompt)
	// A background job that reads from the terminal is stopped by
	// SIGTTIN; fg continues it in the foreground, where its read, made
	// again, gets the line typed next.
	c.typeIn("cat &\n")
	c.expect(prompt)
	stopped := false
	for try := 0; try < 50 && !stopped; try++ {
		c.typeIn("jobs\n")
		stopped = strings.Contains(c.expect(prompt), "Stopped (tty input)")
		if !stopped {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !stopped {
		t.Fatalf("cat & was not reported stopped by SIGTTIN; console:\n%s", Tail([]byte(c.out.String()), 25))
	}
	c.typeIn("fg\n")
	c.expect("cat")
	c.typeIn("in the foreground\n")
	c.expect("in the foreground") // the terminal's echo
	c.expect("in the foreground") // cat's copy
	c.typeIn("\x04")
	c.expect(prompt)
	// The calls of a background process group, as on Linux.
	c.typeIn("ttyjob\n")
	c.expect("ttyjob\r\n")
	got := c.expect("ttyjob done")
	norm := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
	if d := Diff([]byte(norm(string(native))), []byte(norm(got))); d != "" {
		t.Errorf("ttyjob: linux (script's pseudo-terminal) and oyako differ:\n%s", d)
	}
	c.expect(prompt)
	c.typeIn("true\n")
	c.expect(prompt)
	c.typeIn("\x04") // end of input at the prompt: the shell exits with $?, 0
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("QEMU: %v", r.err)
		}
		if r.res.Status != 0 {
			t.Fatalf("exit status %d, want 0; console:\n%s", r.res.Status, Tail(r.res.Serial, 20))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the kernel did not power off after the shell exited; console:\n%s", c.out.String())
	}
	c.in.Close()
}
