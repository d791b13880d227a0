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
	"sync"

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

var buildMu sync.Mutex

// BuildKernel builds the kernel (go build, then the post-link step) into
// dir (default: build/ in the repository) and returns the bootable image's
// path. go build's cache makes this fast when nothing changed.
func BuildKernel(dir string) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	if dir == "" {
		dir = filepath.Join(root, "build")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	linked := filepath.Join(dir, "kernel.elf")
	image := filepath.Join(dir, "oyako.elf")
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
	vdso, err := BuildVDSO(root, dir)
	if err != nil {
		return "", err
	}
	if err := postlink.Patch(linked, vdso, image); err != nil {
		return "", err
	}
	return image, nil
}

// VDSOSource is the directory of the vDSO's C sources.
const VDSOSource = "kernel/vdso/c"

// BuildVDSO compiles the vDSO (kernel/vdso/c) with gcc into dir/vdso.so:
// a position-independent shared object without relocations, with DT_HASH
// and DT_GNU_HASH, its symbols under version LINUX_2.6 (vdso.map) and the
// layout of vdso.lds (the vvar page one page below the image).
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
