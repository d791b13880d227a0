// Command exec runs other programs with os/exec, as Go tools do: output
// captured, pipes to standard input and output, exit statuses, a program
// that cannot be started, a signal, a context's kill, the environment and
// working directory of the child, and a "#!" script. The programs are
// busybox applets in /bin of the root it runs in (the conformance suite
// prepares it); it prints only deterministic facts.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Setenv("PATH", "/bin")

	out, err := exec.Command("echo", "hello", "from", "echo").Output()
	fmt.Printf("Output: %q %v\n", out, err)

	p, err := exec.LookPath("sh")
	fmt.Printf("LookPath(sh): %s %v\n", p, err)
	_, err = exec.LookPath("no-such-program")
	fmt.Printf("LookPath(no-such-program): %v\n", err)

	// Pipes both ways: cat echoes what it reads, line by line.
	cmd := exec.Command("cat")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		fmt.Println("Start:", err)
		return
	}
	r := bufio.NewReader(stdout)
	for _, line := range []string{"one", "two", "three"} {
		fmt.Fprintln(stdin, line)
		got, _ := r.ReadString('\n')
		fmt.Printf("cat answered %q\n", got)
	}
	stdin.Close()
	rest, _ := io.ReadAll(r)
	fmt.Printf("after EOF: %q, Wait: %v, exit code %d\n", rest, cmd.Wait(), cmd.ProcessState.ExitCode())

	// Standard input from a reader.
	cmd = exec.Command("wc", "-l")
	cmd.Stdin = strings.NewReader("a\nb\nc\n")
	out, err = cmd.Output()
	fmt.Printf("wc -l: %q %v\n", strings.TrimSpace(string(out)), err)

	// Exit statuses.
	err = exec.Command("sh", "-c", "exit 3").Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		fmt.Printf("exit 3: %v, ExitCode %d, Exited %v, Success %v\n", err, ee.ExitCode(), ee.Exited(), ee.Success())
	}
	err = exec.Command("false").Run()
	fmt.Printf("false: %v\n", err)
	err = exec.Command("true").Run()
	fmt.Printf("true: %v\n", err)
	err = exec.Command("sh", "-c", "kill -TERM $$").Run()
	if errors.As(err, &ee) {
		ws := ee.Sys().(syscall.WaitStatus)
		fmt.Printf("killed: %v, Signaled %v, Signal %v, ExitCode %d\n", err, ws.Signaled(), ws.Signal(), ee.ExitCode())
	}

	// A program that cannot be started.
	err = exec.Command("/nonexistent").Run()
	fmt.Printf("/nonexistent: %v\n", err)
	err = exec.Command("/data/hello.txt").Run()
	fmt.Printf("/data/hello.txt: %v\n", err)
	err = exec.Command("no-such-program").Run()
	fmt.Printf("no-such-program: %v\n", err)

	// CombinedOutput: both streams, in order.
	out, err = exec.Command("sh", "-c", "echo out; echo err >&2; echo out2; exit 1").CombinedOutput()
	fmt.Printf("CombinedOutput: %q %v\n", out, err)

	// The environment and the working directory.
	cmd = exec.Command("sh", "-c", "echo $GREETING $HOME; pwd")
	cmd.Env = []string{"GREETING=hi", "HOME=/home"}
	cmd.Dir = "/data"
	out, err = cmd.Output()
	fmt.Printf("Env and Dir: %q %v\n", out, err)
	cmd = exec.Command("pwd")
	cmd.Dir = "/nonexistent"
	err = cmd.Run()
	fmt.Printf("Dir that does not exist: %v\n", err)

	// A context that ends kills the child.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	err = exec.CommandContext(ctx, "sleep", "10").Run()
	cancel()
	fmt.Printf("CommandContext: %v, ctx: %v\n", err, ctx.Err())

	// A "#!" script run by path.
	out, err = exec.Command("/scripts/hello.sh", "a", "b c").Output()
	fmt.Printf("script: %q %v\n", out, err)

	// A process started by os.StartProcess with a pipe and its own group.
	pr, pw, _ := os.Pipe()
	proc, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "echo $$ > /dev/null; echo started"},
		&os.ProcAttr{Files: []*os.File{nil, pw, os.Stderr}, Sys: &syscall.SysProcAttr{Setpgid: true}})
	pw.Close()
	if err != nil {
		fmt.Println("StartProcess:", err)
		return
	}
	line, _ := bufio.NewReader(pr).ReadString('\n')
	st, err := proc.Wait()
	fmt.Printf("StartProcess: %q, %v %v\n", line, st, err)
	fmt.Printf("Signal after Wait: %v\n", proc.Signal(syscall.SIGTERM))
}
