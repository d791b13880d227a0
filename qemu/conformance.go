package qemu

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"gvisor.dev/gvisor/pkg/abi/linux"
)

// A Case is one program run, compared between the host Linux and oyako.
type Case struct {
	Name    string
	Program string   // ELF on the host (a dynamic one gets its libraries: Initramfs)
	Args    []string // argv[1:]
	Stdin   []byte   // fed to the terminal, then EOF
	Rootfs  string   // files of the root (oyako) and working directory (native)
	// Libs are host libraries a dynamically linked program opens
	// itself (dlopen), added to oyako's image (Initramfs.Libs); the
	// native side finds them where they are.
	Libs []string
	// Add are host files or directories added to oyako's image at the
	// same paths (Initramfs.Add).
	Add []string
	// MountNS runs the native side in a mount namespace of its own, for
	// programs that mount file systems (it needs root).
	MountNS bool
	// Init makes the native side run the program as oyako does: as
	// /init, process 1 of its own PID namespace, in a root directory
	// with the same files (RunNativeInit). Cases whose results depend on
	// the process tree, the root directory or /proc need it.
	Init bool
	// NetNS runs the native side in a network namespace of its own with
	// lo up and ICMP echo sockets open to every group, as oyako's
	// loopback network is (runNativeNet); it needs root.
	NetNS bool
	// Memory is oyako's RAM ("128M" if empty).
	Memory string
	// Net gives oyako a network device (eth0 on QEMU's user network).
	Net *Net
}

// Outcome is what one side printed and how it exited.
type Outcome struct {
	Output []byte
	Status int
	Side   []byte // oyako only: side-channel reports
}

// RunOyako runs a case in oyako: the program is /init, argv[0] its name.
func RunOyako(ctx context.Context, kernel string, c Case, timeout time.Duration, extra ...string) (*Outcome, error) {
	initrd, err := Initramfs{Program: c.Program, Rootfs: c.Rootfs, Libs: c.Libs, Add: c.Add}.Build()
	if err != nil {
		return nil, err
	}
	path, err := TempInitramfs(initrd)
	if err != nil {
		return nil, err
	}
	defer os.Remove(path)
	line, err := InitCmdline(append([]string{"quiet"}, extra...), c.Program, c.Args)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	w := &CRLFWriter{W: &out}
	res, err := Run(ctx, Config{Kernel: kernel, Initrd: path, Append: line, Timeout: timeout, Memory: c.Memory, Net: c.Net,
		Console: w, Stdin: &EOFReader{R: bytes.NewReader(c.Stdin)}})
	w.Flush()
	if err != nil {
		return &Outcome{Output: out.Bytes()}, err
	}
	return &Outcome{Output: out.Bytes(), Status: res.Status, Side: res.Side}, nil
}

// RunHost runs a case natively, in a copy of its rootfs on tmpfs when the
// host has one: oyako's root is an in-memory file system like tmpfs, and
// some results depend on the file system (ext4 reports a directory read
// after getdents64 reached its end as EINVAL, tmpfs and oyako as EISDIR).
func RunHost(ctx context.Context, c Case, timeout time.Duration) (*Outcome, error) {
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "oyako-native-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if c.Rootfs != "" {
		if err := copyTree(c.Rootfs, dir); err != nil {
			return nil, err
		}
	}
	argv := append([]string{filepath.Base(c.Program)}, c.Args...)
	var r *NativeResult
	if c.Init {
		if err := addInitFiles(dir, c.Program); err != nil {
			return nil, err
		}
		r, err = RunNativeInit(ctx, dir, argv, c.Stdin, timeout)
	} else if c.NetNS {
		r, err = runNativeNet(ctx, c.Program, argv, dir, c.Stdin, timeout)
	} else {
		r, err = runNative(ctx, c.Program, argv, dir, c.Stdin, timeout, c.MountNS)
	}
	if err != nil {
		return nil, err
	}
	return &Outcome{Output: r.Output, Status: r.Status}, nil
}

// addInitFiles completes a native root the way oyako's root is made
// (BuildInitramfs and fs.NewRoot): the program as /init, and /dev, /proc
// and /tmp if the rootfs has none.
func addInitFiles(dir, program string) error {
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{"dev", 0o755}, {"proc", 0o555}, {"tmp", 0o1777}} {
		p := filepath.Join(dir, d.name)
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.Mkdir(p, d.mode); err != nil {
			return err
		}
		if err := os.Chmod(p, d.mode); err != nil { // past the umask, with the sticky bit
			return err
		}
	}
	data, err := os.ReadFile(program)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "init"), data, 0o755)
}

// copyTree copies the directory tree src into dst, keeping modes,
// symlinks and modification times (directories' too, as the initramfs
// does: they are set once the directory is complete).
func copyTree(src, dst string) error {
	type dirTime struct {
		path  string
		mtime time.Time
	}
	var dirs []dirTime
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case info.IsDir():
			dirs = append(dirs, dirTime{target, info.ModTime()})
			return os.MkdirAll(target, info.Mode().Perm())
		case info.Mode()&os.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(l, target); err != nil {
				return err
			}
			return lutimes(target, info.ModTime())
		default:
			in, err := os.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY, info.Mode().Perm())
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, in); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
			// Keep the modification time, as the initramfs does.
			return os.Chtimes(target, info.ModTime(), info.ModTime())
		}
	})
	if err != nil {
		return err
	}
	// Children before their parents: creating an entry changes its
	// directory's time.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(dirs[i].path, dirs[i].mtime, dirs[i].mtime); err != nil {
			return err
		}
	}
	return nil
}

// lutimes sets the access and modification times of path, of a symlink
// itself rather than of its target (utimensat with AT_SYMLINK_NOFOLLOW,
// which package os does not offer).
func lutimes(path string, t time.Time) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	ts := [2]syscall.Timespec{syscall.NsecToTimespec(t.UnixNano()), syscall.NsecToTimespec(t.UnixNano())}
	dirfd := linux.AT_FDCWD
	_, _, e := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&ts[0])), linux.AT_SYMLINK_NOFOLLOW, 0, 0)
	if e != 0 {
		return &os.PathError{Op: "utimensat", Path: path, Err: e}
	}
	return nil
}

// Diff returns a line diff of two transcripts ("" if equal).
func Diff(want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	var b strings.Builder
	n := max(len(wl), len(gl))
	for i := 0; i < n; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d:\n  linux: %q\n  oyako: %q\n", i+1, w, g)
		}
	}
	return b.String()
}

// BuildUserC compiles user/c/NAME.c with gcc -static into dir.
func BuildUserC(root, dir, name string) (string, error) {
	return BuildUserCAs(root, dir, name, name, "-static")
}

// BuildUserCAs compiles user/c/NAME.c into dir/OUT with the given link
// mode (-static, or -static-pie for a static position-independent ELF),
// linked with liburing (Debian's liburing-dev, for the io_uring programs)
// and pthreads.
func BuildUserCAs(root, dir, name, out, mode string) (string, error) {
	return gccUserC(root, name, filepath.Join(dir, out), []string{mode}, "-luring", "-lpthread")
}

// BuildUserCDynamic compiles user/c/NAME.c into dir/NAME as a dynamically
// linked program: gcc's default on Debian, a PIE whose interpreter is
// ld-linux-x86-64.so.2, needing libc.so.6. It exports its symbols to the
// libraries it loads (-rdynamic), and its DT_RUNPATH is $ORIGIN, so that
// natively dlopen finds a library by name next to it (BuildUserCShared
// into the same directory); in oyako, where the program is /init, the
// library comes with Case.Libs.
func BuildUserCDynamic(root, dir, name string) (string, error) {
	return gccUserC(root, name, filepath.Join(dir, name), []string{"-rdynamic", "-Wl,-rpath,$ORIGIN"}, "-lpthread")
}

// BuildUserCShared compiles user/c/NAME.c into dir/NAME.so, a shared
// library (-shared -fPIC) linked with libm.
func BuildUserCShared(root, dir, name string) (string, error) {
	return gccUserC(root, name, filepath.Join(dir, name+".so"), []string{"-shared", "-fPIC"}, "-lm")
}

// gccUserC compiles user/c/NAME.c into out with gcc, flags before the
// source and libs after it.
func gccUserC(root, name, out string, flags []string, libs ...string) (string, error) {
	args := append([]string{"-O1", "-Wall", "-Wno-stringop-overflow"}, flags...)
	args = append(args, "-o", out, filepath.Join(root, "user", "c", name+".c"))
	cmd := exec.Command("gcc", append(args, libs...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("gcc %s: %v\n%s", name, err, b)
	}
	return out, nil
}

// BuildUserGo builds user/go/NAME as a static Go program into dir.
func BuildUserGo(root, dir, name string) (string, error) {
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, "./user/go/"+name)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", name, err, b)
	}
	return out, nil
}
