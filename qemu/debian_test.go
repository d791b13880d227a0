package qemu

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDebianShell boots `make qemu USERLAND=debian` (Shell with Userland
// "debian") and drives the host's own dynamically linked bash over the
// serial console: Debian's coreutils, grep, sed, awk, gzip and ps through
// bash pipelines, command substitution and a subshell, busybox still
// there as /bin/busybox, and exit N powering off with N.
func TestDebianShell(t *testing.T) {
	kernel := kernelImage(t)
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("not a Debian host (no dpkg)")
	}
	bb, err := FindBusybox()
	if err != nil {
		t.Fatal(err)
	}
	hostBash, err := exec.Command("bash", "-c", "echo $BASH_VERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	initrd, err := Shell{Busybox: bb, Userland: "debian"}.Build()
	if err != nil {
		t.Fatal(err)
	}
	c, done := startShell(t, kernel, initrd, "256M")
	// Until the kernel loads ELF interpreters, /init's #!/bin/sh (bash)
	// is refused: status 126.
	const banner = "Debian's bash on the console"
	for deadline := time.Now().Add(2 * time.Minute); ; {
		select {
		case r := <-done:
			if r.err == nil && r.res.Status == 126 && strings.Contains(string(r.res.Serial), "dynamically linked program") {
				t.Skip("the kernel does not run dynamically linked programs yet")
			}
			t.Fatalf("the kernel stopped before the shell's banner: %v; console:\n%s", r.err, c.out.String())
		case <-time.After(100 * time.Millisecond):
		}
		c.mu.Lock()
		up := strings.Contains(c.out.String(), banner)
		c.mu.Unlock()
		if up {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner; console:\n%s", c.out.String())
		}
	}
	c.expect(banner)
	const prompt = "oyako:~# "
	c.expect(prompt)
	// Readline's bracketed paste would put its escapes before each
	// command's output.
	c.typeIn("bind 'set enable-bracketed-paste off'\n")
	c.expect(prompt)
	for _, step := range []struct{ typed, want string }{
		{"echo $BASH_VERSION\n", "\n" + strings.TrimSpace(string(hostBash))},
		{"echo $((6*7))\n", "\n42"},
		{"ls --version | head -1\n", "\nls (GNU coreutils)"},
		{"seq 1 100 | grep 7 | wc -l\n", "\n19"},
		{"printf 'b\\na\\n' | sort | tr a-z A-Z | paste -sd, -\n", "\nA,B"},
		{"echo hello | sed s/l/L/g | gzip | gzip -d\n", "\nheLLo"},
		{"awk 'BEGIN { print 6 * 7 + 1 }'\n", "\n43"},
		{"(cd /etc && echo in-$(basename $(pwd)))\n", "\nin-etc"},
		{"ls -l /etc/passwd | cut -d' ' -f3\n", "\nroot"},
		{"ps -o comm= -p $$\n", "\nbash"},
		{"readlink -f /bin/sh\n", "\n/bin/bash"},
		{"busybox echo from-busybox | cat\n", "\nfrom-busybox"},
		{"find /usr/bin -name 'sha256*' | sort | head -1\n", "\n/usr/bin/sha256sum"},
	} {
		c.typeIn(step.typed)
		c.expect(step.want)
		c.expect(prompt)
	}
	c.typeIn("exit 3\n")
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("QEMU: %v", r.err)
		}
		if r.res.Status != 3 {
			t.Fatalf("exit status %d, want 3; console:\n%s", r.res.Status, Tail(r.res.Serial, 20))
		}
	case <-time.After(time.Minute):
		t.Fatalf("the kernel did not power off after the shell exited; console:\n%s", c.out.String())
	}
	c.in.Close()
}
