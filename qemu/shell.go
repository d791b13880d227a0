package qemu

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strings"

	"oyako/fs/cpio"
)

// The demo system `make qemu` boots: Debian's busybox-static with its
// applet links, a passwd and group file, and an init script that mounts
// the usual file systems and starts an interactive shell in a session of
// its own with the serial port (/dev/ttyS0, the console's terminal) as
// its controlling terminal, so that it has
// job control (a shell that were process 1 itself would not: every job's
// process group would be orphaned, its only outside parent being init,
// and ^Z would do nothing, as on Linux). When the shell exits (exit N,
// or ^D at the prompt), init exits with its status and the kernel powers
// off with it.

// ShellInit is the demo's /init.
const ShellInit = `#!/bin/sh
# oyako's init: mount what a shell session expects (the kernel mounted
# /proc and /dev already, as it does for every program it runs), then run the shell as
# the leader of a new session on the serial port, as a getty would: its
# own node /dev/ttyS0, not /dev/console, through which Linux neither stops
# a background reader with SIGTTIN nor a writer with SIGTTOU (setsid -c
# takes the terminal as the session's controlling terminal). End with the
# shell's status: process 1's exit powers the machine off.
[ -e /proc/self ] || mount -t proc proc /proc
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
export PS1='oyako:\w\$ '
export HOME=/root
cd /root
echo "oyako: busybox sh on the console; ^D or 'exit N' powers off"
setsid -c /bin/sh </dev/ttyS0 >/dev/ttyS0 2>&1
`

// shellFiles are the demo's configuration files.
var shellFiles = map[string]string{
	"etc/passwd":   "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
	"etc/group":    "root:x:0:\nnogroup:x:65534:\n",
	"etc/hostname": "oyako\n",
}

// FindBusybox returns the path of a static busybox on the host.
func FindBusybox() (string, error) {
	for _, c := range []string{"busybox", "/bin/busybox", "/usr/bin/busybox"} {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("busybox not found: install Debian's busybox-static (make qemu does)")
}

// BuildShellInitramfs packs the demo system around the static busybox
// at bb, with extra files (path in the image: contents; executable) if
// any.
func BuildShellInitramfs(bb string, extra map[string][]byte) ([]byte, error) {
	data, err := os.ReadFile(bb)
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(bb, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list-full: %v", bb, err)
	}
	var buf bytes.Buffer
	w := cpio.NewWriter(&buf)
	dirs := map[string]bool{}
	dir := func(d string) {
		for d != "." && d != "/" && !dirs[d] {
			dirs[d] = true
			w.WriteFile(cpio.Header{Name: d, Mode: cpio.ModeDir | 0o755}, nil)
			d = path.Dir(d)
		}
	}
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "dev/shm", "tmp", "root", "sys"} {
		dir(d)
	}
	w.WriteFile(cpio.Header{Name: "bin/busybox", Mode: cpio.ModeRegular | 0o755}, data)
	for _, l := range strings.Fields(string(out)) {
		if l == "bin/busybox" {
			continue
		}
		dir(path.Dir(l))
		w.WriteFile(cpio.Header{Name: l, Mode: cpio.ModeSymlink | 0o777}, []byte("/bin/busybox"))
	}
	for name, body := range NetFiles {
		w.WriteFile(cpio.Header{Name: name, Mode: cpio.ModeRegular | 0o644}, []byte(body))
	}
	for name, body := range shellFiles {
		w.WriteFile(cpio.Header{Name: name, Mode: cpio.ModeRegular | 0o644}, []byte(body))
	}
	for name, body := range extra {
		dir(path.Dir(name))
		w.WriteFile(cpio.Header{Name: name, Mode: cpio.ModeRegular | 0o755}, body)
	}
	if err := w.WriteFile(cpio.Header{Name: "init", Mode: cpio.ModeRegular | 0o755}, []byte(ShellInit)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
