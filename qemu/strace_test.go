package qemu

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// straceShape reduces strace lines to their shape: the call's name and
// number of arguments and whether it succeeded, failed (with which errno)
// or did not return. Addresses, strings, numbers and the exact contents
// of structures differ between runs and machines; the shape does not.
func straceShape(out string) []string {
	call := regexp.MustCompile(`^([a-z_0-9]+)\((.*)\)\s+= (\?|-1 (E[A-Z0-9]+)|\S+)`)
	exit := regexp.MustCompile(`^\+\+\+ (exited with \d+|killed by \w+) \+\+\+$`)
	var shape []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		// glibc's stdio decides whether stdout is a terminal from
		// st_rdev alone when the device is a pseudo-terminal (majors
		// 136-143, DEV_TTY_P in sysdeps/unix/sysv/linux) and asks
		// TCGETS otherwise. The native run's stdout is a pty, oyako's
		// is /dev/console (5,1), so the ioctl appears on one side
		// only; its decoding is checked separately below.
		if strings.HasPrefix(l, "ioctl(1, TCGETS") {
			continue
		}
		if m := exit.FindStringSubmatch(l); m != nil {
			shape = append(shape, m[0])
			continue
		}
		m := call.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		res := "ok"
		switch {
		case m[3] == "?":
			res = "?"
		case m[4] != "":
			res = m[4]
		}
		shape = append(shape, m[1]+"/"+itoaArgs(m[2])+" "+res)
	}
	return shape
}

// itoaArgs counts top-level arguments.
func itoaArgs(args string) string {
	if strings.TrimSpace(args) == "" {
		return "0"
	}
	depth, n, inStr := 0, 1, false
	for i := 0; i < len(args); i++ {
		c := args[i]
		switch {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[' || c == '(':
			depth++
		case c == '}' || c == ']' || c == ')':
			depth--
		case c == ',' && depth == 0:
			n++
		}
	}
	return string(rune('0' + n))
}

// straceBoth runs prog, a static program, under strace on Linux and in
// oyako run --strace and returns both traces; it fails the test unless
// their shapes are the same.
func straceBoth(t *testing.T, prog string) (linux, oyako string) {
	t.Helper()
	if _, err := exec.LookPath("strace"); err != nil {
		t.Fatal("strace is needed (make test installs it)")
	}
	dir := t.TempDir()
	traceFile := filepath.Join(dir, "trace")
	native, err := RunNative(context.Background(), "/usr/bin/strace", []string{"strace", "-o", traceFile, prog}, dir, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if native.Status != 0 {
		t.Skipf("strace does not work here (status %d): %s", native.Status, native.Output)
	}
	want, err := os.ReadFile(traceFile)
	if err != nil {
		t.Fatal(err)
	}
	oy, err := RunOyako(context.Background(), kernelImage(t), Case{Program: prog}, time.Minute, "strace")
	if err != nil {
		t.Fatal(err)
	}
	ws, gs := straceShape(string(want)), straceShape(string(oy.Output))
	if strings.Join(ws, "\n") != strings.Join(gs, "\n") {
		t.Errorf("strace shapes differ\nlinux:\n  %s\noyako:\n  %s\noyako output:\n%s", strings.Join(ws, "\n  "), strings.Join(gs, "\n  "), oy.Output)
	}
	return string(want), string(oy.Output)
}

// TestStraceShape: oyako run --strace of a static glibc hello world has
// the shape of strace's output for the same binary on Linux.
func TestStraceShape(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserC(root, dir, "hello")
	if err != nil {
		t.Fatal(err)
	}
	_, out := straceBoth(t, prog)
	// The decoded arguments of a few calls, as strace shows them.
	for _, re := range []string{
		`(?m)^execve\("/init", \["hello"\], 0x[0-9a-f]+ /\* 3 vars \*/\) += 0$`,
		`(?m)^arch_prctl\(ARCH_SET_FS, 0x[0-9a-f]+\) += 0$`,
		`(?m)^prlimit64\(0, RLIMIT_STACK, NULL, \{rlim_cur=8192\*1024, rlim_max=RLIM64_INFINITY\}\) = 0$`,
		`(?m)^readlink\("/proc/self/exe", "/init", 4096\) += 5$`,
		// Random bytes as strace quotes them: printable ones as they
		// are, the rest as C or octal escapes.
		`(?m)^getrandom\("([ -\[\]-~]|\\[\\"ntrvf]|\\[0-7]{1,3}){8}", 8, GRND_NONBLOCK\) += 8$`,
		`(?m)^newfstatat\(1, "", \{st_mode=S_IFCHR\|0600, st_rdev=makedev\(0x5, 0x1\), \.\.\.\}, AT_EMPTY_PATH\) = 0$`,
		`(?m)^ioctl\(1, TCGETS, \{c_iflag=ICRNL\|IXON, c_oflag=NL0\|CR0\|TAB0\|BS0\|VT0\|FF0\|OPOST\|ONLCR, c_cflag=B38400\|CS8\|CREAD\|HUPCL, c_lflag=ISIG\|ICANON\|ECHO\|ECHOE\|ECHOK\|IEXTEN\|ECHOCTL\|ECHOKE, \.\.\.\}\) = 0$`,
		`(?m)^write\(1, "hello\\n", 6\) += 6$`,
		`(?m)^exit_group\(0\) += \?$`,
		`(?m)^\+\+\+ exited with 0 \+\+\+$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("strace output lacks %s", re)
		}
	}
}

// TestStraceExecve: execve's path, argv and envp are shown as they were
// when the call was made, although a successful execve replaces the
// memory they were in (user/c/execself.c keeps them on its stack and
// execs itself). Apart from addresses and the program's path (/init in
// oyako), the execve lines after the first (which starts the program)
// are the ones strace prints on Linux.
func TestStraceExecve(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserC(root, dir, "execself")
	if err != nil {
		t.Fatal(err)
	}
	linux, oyako := straceBoth(t, prog)
	execs := func(trace string) []string {
		var l []string
		for _, line := range strings.Split(trace, "\n") {
			if strings.HasPrefix(line, "execve(") {
				line = strings.ReplaceAll(strings.TrimSpace(line), `"`+prog+`"`, `"/init"`)
				l = append(l, regexp.MustCompile(`0x[0-9a-f]+`).ReplaceAllString(line, "ADDR"))
			}
		}
		if len(l) > 0 {
			l = l[1:]
		}
		return l
	}
	want, got := execs(linux), execs(oyako)
	if len(want) != 2 || strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("execve lines differ\nlinux:\n  %s\noyako:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
	for _, re := range []string{
		`(?m)^execve\("/nonexistent", \["execself", "again", "an argument longer than strace s"\.\.\.\], 0x[0-9a-f]+ /\* 3 vars \*/\) = -1 ENOENT \(No such file or directory\)$`,
		`(?m)^execve\("/init", \["execself", "again", "an argument longer than strace s"\.\.\.\], 0x[0-9a-f]+ /\* 3 vars \*/\) = 0$`,
		`(?m)^execself: argc 3, argv\[1\] again, STAGE=2$`,
		`(?m)^\+\+\+ exited with 0 \+\+\+$`,
	} {
		if !regexp.MustCompile(re).MatchString(oyako) {
			t.Errorf("strace output lacks %s\noutput:\n%s", re, oyako)
		}
	}
}
