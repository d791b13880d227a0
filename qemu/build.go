// Package qemu is oyako's host-side harness: it builds the kernel image,
// boots it under QEMU, streams and captures the serial console, reads the
// kernel's exit status from the debugcon side channel, enforces a
// timeout (killing QEMU and reporting the tail of its serial log), and
// drives gdb. cmd/oyako wraps it; this package's tests are the QEMU
// integration tests.
package qemu

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"oyako/boot/postlink"
	"oyako/kernel/mm"
)

// KernelPackage is the Go package of the kernel image.
const KernelPackage = "./cmd/oyako-kernel"

// LinkTextAddr is where the kernel's text is linked (the -T flag), in the
// top 2 GiB of the address space.
const LinkTextAddr = mm.KernelBase + mm.KernelTextPhys

// RepoRoot returns the directory of the oyako module.
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the oyako module")
	}
	return filepath.Dir(mod), nil
}

// linkTextFlag is LinkTextAddr as the Go linker's -T flag wants it: a
// signed 64-bit number (the address is negative as an int64).
func linkTextFlag() int64 {
	a := uint64(LinkTextAddr)
	return int64(a)
}

var buildFiles = []string{"kernel.elf", "vdso.so", "oyako.elf"}

// BuildKernel builds the kernel (go build, the vDSO, then the post-link
// step) into dir (default: build/ in the repository) and returns the
// bootable image's path, dir/oyako.elf; the linker's output
// (dir/kernel.elf) and the vDSO (dir/vdso.so) are kept next to it.
//
// Builds of one directory may run at the same time (oyako run in two
// shells, goroutines of one test binary), and a QEMU may be loading the
// image while another build runs. No one may see or leave a half-written
// file, so:
//
//   - A build writes its files into a fresh temporary directory inside dir
//     (the same file system) and renames each into place. rename(2) is
//     atomic: whoever opens dir/oyako.elf gets the old file or the new one,
//     whole, and a QEMU that opened the old one keeps reading its inode.
//     The image is renamed last, so the kernel.elf next to it matches it.
//   - A file is replaced only if its content changed: an up-to-date image
//     keeps its inode and modification time.
//   - Builds of one directory take turns under an flock(2) lock on
//     dir/.lock. A flock lock belongs to the open file description, so it
//     orders goroutines of one process as well as processes, and it goes
//     away with a build that dies. The steps above are safe without it;
//     the lock makes the second of two simultaneous builds find the first
//     one's work in go build's cache instead of redoing it alongside, and
//     lets a build remove temporary directories that killed builds left.
//
// "Up to date" is decided from the build's output, not from timestamps
// or hashes of the inputs. That is the cheapest check that is also
// correct: go build's cache already knows every input of the kernel
// (sources, flags, toolchain) and turns an unchanged build into a copy
// out of the cache (a few tenths of a second); the vDSO is one C file gcc
// compiles in tens of milliseconds; the post-link step and the comparison
// are passes over a 4 MiB file. A cheaper test would restate what go
// build knows, and a wrong answer boots a stale kernel.
func BuildKernel(dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	if dir == "" {
		dir = filepath.Join(root, "build")
	}
	unlock, err := lockBuildDir(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	// Holding the lock, no other build uses a temporary directory here:
	// any left is a killed build's.
	if old, err := filepath.Glob(filepath.Join(dir, buildTempPrefix+"*")); err == nil {
		for _, o := range old {
			os.RemoveAll(o)
		}
	}
	tmp, err := os.MkdirTemp(dir, buildTempPrefix+"*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	linked := filepath.Join(tmp, "kernel.elf")
	cmd := exec.Command("go", "build",
		"-ldflags", fmt.Sprintf("-T %d", linkTextFlag()),
		"-o", linked, KernelPackage)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the kernel: %v\n%s", err, stderr.String())
	}
	vdso, err := BuildVDSO(root, tmp)
	if err != nil {
		return "", err
	}
	if err := postlink.Patch(linked, vdso, filepath.Join(tmp, "oyako.elf")); err != nil {
		return "", err
	}
	for _, name := range buildFiles { // the image last
		if err := replaceIfChanged(filepath.Join(tmp, name), filepath.Join(dir, name)); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, "oyako.elf"), nil
}

// buildTempPrefix starts the names of BuildKernel's temporary directories.
const buildTempPrefix = ".build-"

// lockBuildDir makes dir if it is missing, waits for and takes its build
// lock; unlock releases it.
func lockBuildDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil // closing the last descriptor unlocks
}

// replaceIfChanged renames the new file into place at dst, unless dst has
// the same content already.
func replaceIfChanged(newFile, dst string) error {
	cur, err := os.ReadFile(dst)
	if err == nil {
		b, err := os.ReadFile(newFile)
		if err != nil {
			return err
		}
		if bytes.Equal(b, cur) {
			return nil
		}
	}
	return os.Rename(newFile, dst)
}

// VDSOSource is the directory of the vDSO's C sources.
const VDSOSource = "kernel/vdso/c"

// BuildVDSO compiles the vDSO (kernel/vdso/c) with gcc into dir/vdso.so:
// a position-independent shared object without relocations, with DT_HASH
// and DT_GNU_HASH, its symbols under version LINUX_2.6 (vdso.map) and the
// layout of vdso.lds (the vvar page six pages below the image).
func BuildVDSO(root, dir string) (string, error) {
	if _, err := exec.LookPath("gcc"); err != nil {
		return "", fmt.Errorf("gcc is needed to build the vDSO: install Debian's gcc (make qemu does)")
	}
	src := filepath.Join(root, VDSOSource)
	out := filepath.Join(dir, "vdso.so")
	cmd := exec.Command("gcc",
		"-O2", "-fPIC", "-shared", "-nostdlib", "-ffreestanding", "-fno-stack-protector", "-fno-builtin",
		"-fcf-protection=none", "-Wall", "-Wextra", "-Werror",
		"-Wl,-soname=linux-vdso.so.1", "-Wl,--hash-style=both",
		"-Wl,--version-script="+filepath.Join(src, "vdso.map"), "-Wl,-T,"+filepath.Join(src, "vdso.lds"),
		"-Wl,--no-undefined", "-Wl,-z,max-page-size=4096", "-Wl,-z,common-page-size=4096",
		"-Wl,--build-id=sha1", "-Wl,--eh-frame-hdr", "-Wl,-z,noexecstack",
		"-o", out, filepath.Join(src, "vdso.c"))
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the vDSO: %v\n%s", err, b)
	}
	return out, nil
}
