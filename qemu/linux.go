package qemu

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Linux under the same QEMU (issue 12): Debian's cloud kernel booted with
// oyako's QEMU flags (Args), a static program as its /init, so that a
// benchmark compares the two kernels on the same emulated machine rather
// than oyako under TCG with the host running natively.

// LinuxMetaPackage is Debian's metapackage that depends on the current
// cloud kernel image (linux-image-VERSION-cloud-amd64), which has no
// modules for hardware a VM lacks and boots in QEMU's microvm.
const LinuxMetaPackage = "linux-image-cloud-amd64"

// LinuxKernel returns the path of the cloud kernel's image (vmlinuz) in
// dir (build/linux under the repository if empty), fetching it the first
// time: `apt-get download` of the package the metapackage names, unpacked
// with `dpkg-deb -x` (never installed). Later calls reuse the image
// found there, whatever its version.
func LinuxKernel(dir string) (string, error) {
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "build", "linux")
	}
	unlock, err := lockBuildDir(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	if old, _ := filepath.Glob(filepath.Join(dir, "vmlinuz-*")); len(old) > 0 {
		return old[len(old)-1], nil
	}
	pkg, err := linuxImagePackage()
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, buildTempPrefix+"*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	// apt-get download writes into its working directory.
	if out, err := aptGet(tmp, "download", pkg); err != nil {
		return "", fmt.Errorf("apt-get download %s: %v\n%s", pkg, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, pkg+"_*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("apt-get download %s left %d packages in %s", pkg, len(debs), tmp)
	}
	x := filepath.Join(tmp, "x")
	if out, err := exec.Command("dpkg-deb", "-x", debs[0], x).CombinedOutput(); err != nil {
		return "", fmt.Errorf("dpkg-deb -x %s: %v\n%s", debs[0], err, out)
	}
	imgs, _ := filepath.Glob(filepath.Join(x, "boot", "vmlinuz-*"))
	if len(imgs) != 1 {
		return "", fmt.Errorf("%s holds %d boot/vmlinuz-* images, want 1", debs[0], len(imgs))
	}
	dst := filepath.Join(dir, filepath.Base(imgs[0]))
	if err := os.Rename(imgs[0], dst); err != nil {
		return "", err
	}
	return dst, nil
}

// linuxImagePackage names the kernel image package LinuxMetaPackage
// depends on today, as apt-cache depends says. A machine whose package
// lists were never fetched (a fresh container) knows no such package:
// then the lists are updated once and the question asked again.
func linuxImagePackage() (string, error) {
	for try := 0; ; try++ {
		out, err := exec.Command("apt-cache", "depends", LinuxMetaPackage).CombinedOutput()
		if pkg := parseDepends(out); err == nil && pkg != "" {
			return pkg, nil
		}
		if try > 0 {
			return "", fmt.Errorf("apt-cache depends %s names no linux-image package: %v\n%s", LinuxMetaPackage, err, out)
		}
		if out, err := aptGet("", "update", "-qq"); err != nil {
			return "", fmt.Errorf("apt-get update: %v\n%s", err, out)
		}
	}
}

// parseDepends returns the first linux-image-* package among the
// "Depends:" lines of apt-cache depends' output ("" if none).
func parseDepends(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Depends:")
		if v = strings.TrimSpace(v); ok && strings.HasPrefix(v, "linux-image-") && !strings.ContainsAny(v, "<> ") {
			return v
		}
	}
	return ""
}

// aptGet runs apt-get with args in dir, through sudo when not root.
func aptGet(dir string, args ...string) ([]byte, error) {
	name := "apt-get"
	if os.Geteuid() != 0 {
		name, args = "sudo", append([]string{"apt-get"}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}
