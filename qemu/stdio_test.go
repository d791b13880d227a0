package qemu

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

var (
	oyakoOnce sync.Once
	oyakoBin  string
	oyakoErr  error
)

// oyakoTool builds cmd/oyako once per test binary and returns its path.
func oyakoTool(t *testing.T) string {
	t.Helper()
	kernelImage(t) // skips in -short mode; warms the build cache
	oyakoOnce.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			oyakoErr = err
			return
		}
		dir, err := os.MkdirTemp("", "oyako-cmd-")
		if err != nil {
			oyakoErr = err
			return
		}
		tempDirs = append(tempDirs, dir)
		oyakoBin = filepath.Join(dir, "oyako")
		cmd := exec.Command("go", "build", "-o", oyakoBin, "./cmd/oyako")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			oyakoErr = errors.New(string(out))
		}
	})
	if oyakoErr != nil {
		t.Fatalf("building cmd/oyako: %v", oyakoErr)
	}
	return oyakoBin
}

// oyakoCommand returns the words that run a program with the host tool
// and the test's kernel: "oyako run -kernel IMAGE".
func oyakoCommand(t *testing.T) string {
	return oyakoTool(t) + " run -kernel " + kernelImage(t)
}

// shellOutcome is what a shell command line printed on each stream and
// its status.
type shellOutcome struct {
	stdout, stderr []byte
	status         int
	elapsed        time.Duration
}

// runShell runs script with /bin/sh, RUN set to run (the words that start
// a program) and DIR to dir, its stdout and stderr two pipes.
func runShell(t *testing.T, script, run, dir string) shellOutcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	cmd.Env = append(os.Environ(), "RUN="+run, "DIR="+dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	o := shellOutcome{stdout: out.Bytes(), stderr: errb.Bytes(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		o.status = ee.ExitCode()
	default:
		t.Fatalf("%s: %v", script, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s: timed out", script)
	}
	return o
}

func TestStdioModes(t *testing.T) {
	w := io.Discard
	for _, c := range []struct {
		s     *Stdio
		words string
	}{
		{nil, ""},
		{&Stdio{}, ""},
		{&Stdio{Stdin: strings.NewReader("")}, "stdio=ptt"},
		{&Stdio{Stdout: w, Stderr: w}, "stdio=tpp"},
		{&Stdio{Stdout: w, StderrIsStdout: true}, "stdio=tp1"},
		{&Stdio{Stderr: w, StderrIsStdout: true}, "stdio=ttp"}, // no stdout pipe to share
		{&Stdio{Resize: make(chan [2]uint16)}, "resize"},
	} {
		if got := strings.Join(c.s.KernelWords(), " "); got != c.words {
			t.Errorf("%+v: kernel words %q, want %q", c.s, got, c.words)
		}
	}
}

// TestStdioPipes runs shell command lines twice, once with $RUN the
// program itself and once with $RUN "oyako run" of it, and requires the
// same stdout, stderr and status: a program's standard streams that are
// not terminals are pipes in oyako, carrying the same bytes, ending where
// the host's end, with stderr apart from stdout.
func TestStdioPipes(t *testing.T) {
	oyako := oyakoCommand(t)
	bb, err := FindBusybox()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	random := make([]byte, 16<<20)
	rand.Read(random)
	binary := make([]byte, 4*256)
	for i := range binary {
		binary[i] = byte(i) // every byte value, line-discipline characters too
	}
	for name, data := range map[string][]byte{"random": random, "binary": binary} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, script string
		fast         bool // must end in seconds, not at the watchdog
	}{
		{"wc", `printf 'a\nb\n' | $RUN wc -l`, false},
		{"devnull", `$RUN cat </dev/null`, true},
		{"sha256-file", `$RUN sha256sum <$DIR/random`, false},
		{"sha256-pipe", `cat $DIR/random | $RUN sha256sum`, false},
		{"binary", `$RUN cat <$DIR/binary | od -An -tx1 | sha256sum`, false},
		{"stderr-apart", `$RUN sh -c 'echo out; echo err >&2' 2>/dev/null`, false},
		{"stdout-apart", `$RUN sh -c 'echo out; echo err >&2' >/dev/null`, false},
		{"both", `$RUN sh -c 'echo out; echo err >&2; exit 3'`, false},
		{"2>&1", `$RUN sh -c 'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done' 2>&1`, false},
		{"script", `printf 'echo $((1+2))\nexit 5\n' | $RUN sh`, false},
		{"notty", `echo | $RUN sh -c '[ -t 0 ] || echo notty; [ -t 1 ] || echo notty1; [ -t 2 ] || echo notty2'`, false},
		{"fifo", `echo | $RUN stat -L -c %F /proc/self/fd/0 /proc/self/fd/1`, false},
		{"to-file", `$RUN sh -c 'echo to a file' >$DIR/out; cat $DIR/out`, false},
		{"reader-gone", `yes | $RUN head -n 2; echo "yes: $?"`, false},
		{"no-reader", `$RUN sh -c 'exec 0<&-; sleep 1; echo closed'`, false},
		{"through", `cat $DIR/random | $RUN cat | sha256sum`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			host := runShell(t, c.script, bb, dir)
			oy := runShell(t, c.script, oyako+" "+bb, dir)
			if !bytes.Equal(host.stdout, oy.stdout) {
				t.Errorf("stdout:\n linux: %q\n oyako: %q", trunc(host.stdout), trunc(oy.stdout))
			}
			if !bytes.Equal(host.stderr, oy.stderr) {
				t.Errorf("stderr:\n linux: %q\n oyako: %q", trunc(host.stderr), trunc(oy.stderr))
			}
			if host.status != oy.status {
				t.Errorf("status: linux %d, oyako %d", host.status, oy.status)
			}
			if c.fast && oy.elapsed > 30*time.Second {
				t.Errorf("took %v: end of file did not reach the program", oy.elapsed)
			}
		})
	}
}

// TestStdioOptions checks what has no native run to compare with: a
// closed stdin is an empty one in oyako (natively reads would fail with
// EBADF), as is -i=false, and -t gives the program the console terminal
// on all three streams, fed the piped input (echoed, as a terminal does).
func TestStdioOptions(t *testing.T) {
	oyako := oyakoCommand(t)
	bb, err := FindBusybox()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ script, stdout string }{
		{`$RUN $BB wc -c <&-`, "0\n"},
		{`echo data | $RUN -i=false $BB wc -c`, "0\n"},
		{`echo hi | $RUN -t $BB cat`, "hi\nhi\n"},
		{`echo | $RUN -t $BB sh -c '[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty'`, "\ntty\n"},
	} {
		o := runShell(t, strings.ReplaceAll(c.script, "$BB", bb), oyako, "")
		if string(o.stdout) != c.stdout || o.status != 0 || len(o.stderr) != 0 {
			t.Errorf("%s: stdout %q, stderr %q, status %d; want %q, nothing, 0", c.script, o.stdout, o.stderr, o.status, c.stdout)
		}
	}
}

// TestStdioInterrupt sends oyako run SIGINT, as ^C at a terminal does
// when the program's stdin is not the terminal: the program's foreground
// group gets it from the console.
func TestStdioInterrupt(t *testing.T) {
	oyako := strings.Fields(oyakoCommand(t))
	bb, err := FindBusybox()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, oyako[0], append(oyako[1:], bb, "sh", "-c", "trap 'echo got INT; exit 3' INT; echo ready; sleep 100")...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, _ := io.ReadAtLeast(out, buf, len("ready\n"))
	if string(buf[:n]) != "ready\n" {
		t.Fatalf("got %q, want ready", buf[:n])
	}
	cmd.Process.Signal(syscall.SIGINT)
	rest, _ := io.ReadAll(out)
	err = cmd.Wait()
	var ee *exec.ExitError
	if string(rest) != "got INT\n" || !errors.As(err, &ee) || ee.ExitCode() != 3 || errb.Len() != 0 {
		t.Fatalf("after SIGINT: stdout %q, stderr %q, %v; want got INT and status 3", rest, errb.Bytes(), err)
	}
}

func trunc(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// TestStdioTerminal runs `oyako run busybox sh` on a pseudo-terminal of
// its own, as a person at a terminal would: the program gets the console
// terminal with the host terminal's size, the shell is interactive, and
// ^C interrupts the foreground job.
func TestStdioTerminal(t *testing.T) {
	oyako := strings.Fields(oyakoCommand(t))
	bb, err := FindBusybox()
	if err != nil {
		t.Fatal(err)
	}
	m, s, err := openPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ws := struct{ Row, Col, X, Y uint16 }{Row: 37, Col: 101}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, s.Fd(), syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&ws))); e != 0 {
		t.Fatal(e)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, oyako[0], append(oyako[1:], bb, "sh")...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	var mu sync.Mutex
	var screen bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := m.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	// expect waits until the screen shows want after position from.
	from := 0
	expect := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			out := screen.String()
			mu.Unlock()
			if i := strings.Index(out[from:], want); i >= 0 {
				from += i + len(want)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the terminal never showed %q; it shows:\n%s", want, screen.String())
	}
	typeIn := func(s string) {
		if _, err := m.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	expect("# ") // the prompt
	typeIn("[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo is''tty\r")
	expect("istty")
	typeIn("stty size\r")
	expect("37 101")
	// A resize reaches the console (and SIGWINCH its foreground group).
	ws = struct{ Row, Col, X, Y uint16 }{Row: 41, Col: 77}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&ws))); e != 0 {
		t.Fatal(e)
	}
	for i := 0; ; i++ {
		typeIn("stty size\r")
		expect("\r\n")
		expect("# ")
		mu.Lock()
		got := strings.Contains(screen.String(), "41 77")
		mu.Unlock()
		if got {
			break
		}
		if i == 20 {
			t.Fatalf("the console never got the new size:\n%s", screen.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Once the shell printed ready it has left its line editor: what is
	// typed now waits in the terminal for cat.
	typeIn("echo re''ady; cat\r")
	expect("ready\r\n")
	typeIn("typed\r")
	expect("typed\r\ntyped") // echo, then cat's copy
	typeIn("\x03")
	expect("# ")
	typeIn("echo after''int $?\r")
	expect("afterint 130")
	typeIn("exit 7\r")
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("oyako run ended with %v, want status 7", err)
	}
}
