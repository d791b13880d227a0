package qemu

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strings"

	"oyako/fs/cpio"
	"oyako/qemu/dynlib"
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
mount -t sysfs sysfs /sys
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
	return Shell{Busybox: bb, Extra: extra}.Build()
}

// Shell is a demo system: busybox's applets, or with Userland "debian"
// the host's own bash (also /bin/sh), coreutils and the other programs
// of DebianPackages, with their libraries, busybox serving for what they
// lack (mount and setsid in init, vi, ...).
type Shell struct {
	Busybox  string // a static busybox
	Userland string // "" (or "busybox"), or "debian"
	// Libs and Add are host libraries and files or directories added
	// at their paths, as Initramfs's.
	Libs, Add []string
	// Extra are files added to the image (path: contents), executable.
	Extra map[string][]byte
}

// DebianPackages are the Debian packages whose programs (the files they
// install in /bin, /sbin, /usr/bin and /usr/sbin) the Debian userland
// has, those installed on the host; DebianExtras are single paths it
// adds when the host has them (awk is a symlink through
// /etc/alternatives; /lib/terminfo holds the terminal descriptions bash's
// readline, less and top read for TERM=linux).
var (
	DebianPackages = []string{"bash", "coreutils", "grep", "sed", "findutils", "tar", "gzip", "xz-utils", "less", "procps", "diffutils", "mawk", "ncurses-bin", "hostname"}
	DebianExtras   = []string{"/usr/bin/awk", "/lib/terminfo"}
)

// debianPrograms lists the host paths of DebianPackages' programs.
func debianPrograms() ([]string, error) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		return nil, fmt.Errorf("the Debian userland needs a Debian host (dpkg): %v", err)
	}
	var progs []string
	for _, pkg := range DebianPackages {
		out, err := exec.Command("dpkg", "-L", pkg).Output()
		if err != nil {
			if pkg == "bash" || pkg == "coreutils" {
				return nil, fmt.Errorf("dpkg -L %s: %v (the Debian userland needs bash and coreutils)", pkg, err)
			}
			continue // not installed
		}
		for _, l := range strings.Split(string(out), "\n") {
			d := path.Dir(l)
			if d != "/bin" && d != "/sbin" && d != "/usr/bin" && d != "/usr/sbin" {
				continue
			}
			if fi, err := os.Lstat(l); err == nil && !fi.IsDir() {
				progs = append(progs, l)
			}
		}
	}
	return progs, nil
}

// Build packs the demo system.
func (s Shell) Build() ([]byte, error) {
	data, err := os.ReadFile(s.Busybox)
	if err != nil {
		return nil, err
	}
	bb := s.Busybox
	out, err := exec.Command(bb, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list-full: %v", bb, err)
	}
	var im *dynlib.Image
	var progs []string
	own := map[string]bool{} // base names of the Debian programs
	init := ShellInit
	switch s.Userland {
	case "", "busybox":
	case "debian":
		if progs, err = debianPrograms(); err != nil {
			return nil, err
		}
		for _, p := range append(progs, DebianExtras...) {
			if _, err := os.Lstat(p); err == nil {
				own[path.Base(p)] = true
			}
		}
		own["sh"] = true
		init = strings.Replace(init, "busybox sh on the console", "Debian's bash on the console (busybox is /bin/busybox)", 1)
		init = strings.Replace(init, "setsid -c /bin/sh ", "setsid -c /bin/bash ", 1)
	default:
		return nil, fmt.Errorf("unknown userland %q (busybox or debian)", s.Userland)
	}
	if len(progs) > 0 || len(s.Libs) > 0 || len(s.Add) > 0 {
		im = dynlib.NewImage(dynlib.Host{})
	}
	var buf bytes.Buffer
	w := cpio.NewWriter(&buf)
	// put writes a member; the host's files do not replace it.
	put := func(h cpio.Header, body []byte) {
		w.WriteFile(h, body)
		if im != nil {
			im.Have("/"+h.Name, h.Mode&cpio.ModeType == cpio.ModeDir)
		}
	}
	dirs := map[string]bool{}
	dir := func(d string) {
		for d != "." && d != "/" && !dirs[d] {
			dirs[d] = true
			put(cpio.Header{Name: d, Mode: cpio.ModeDir | 0o755}, nil)
			d = path.Dir(d)
		}
	}
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "dev/shm", "tmp", "root", "sys"} {
		dir(d)
	}
	put(cpio.Header{Name: "bin/busybox", Mode: cpio.ModeRegular | 0o755}, data)
	for _, l := range strings.Fields(string(out)) {
		if l == "bin/busybox" || own[path.Base(l)] {
			continue
		}
		dir(path.Dir(l))
		put(cpio.Header{Name: l, Mode: cpio.ModeSymlink | 0o777}, []byte("/bin/busybox"))
	}
	for name, body := range NetFiles {
		put(cpio.Header{Name: name, Mode: cpio.ModeRegular | 0o644}, []byte(body))
	}
	for name, body := range shellFiles {
		put(cpio.Header{Name: name, Mode: cpio.ModeRegular | 0o644}, []byte(body))
	}
	for name, body := range s.Extra {
		dir(path.Dir(name))
		put(cpio.Header{Name: name, Mode: cpio.ModeRegular | 0o755}, body)
	}
	if im != nil {
		im.Have("/init", false)
		if err := s.addHost(im, progs); err != nil {
			return nil, err
		}
		if err := im.Write(w); err != nil {
			return nil, err
		}
	}
	if err := w.WriteFile(cpio.Header{Name: "init", Mode: cpio.ModeRegular | 0o755}, []byte(init)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// addHost adds to im the host's programs progs (the Debian userland) with
// bash as /bin/sh, DebianExtras, glibc's start-up files, and s's Libs
// and Add.
func (s Shell) addHost(im *dynlib.Image, progs []string) error {
	for _, p := range progs {
		if err := im.AddProgram(p); err != nil {
			return err
		}
	}
	if len(progs) > 0 {
		if err := im.Symlink("/bin/sh", "bash"); err != nil {
			return err
		}
		for _, p := range DebianExtras {
			if _, err := os.Lstat(p); err != nil {
				continue
			}
			if err := im.AddTree(p, nil); err != nil {
				return err
			}
		}
		if err := im.AddStartupFiles(); err != nil {
			return err
		}
	}
	_, err := dynlib.Gather(im, dynlib.Request{Libs: s.Libs, Trees: s.Add})
	return err
}
