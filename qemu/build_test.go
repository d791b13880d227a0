package qemu

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"oyako/boot/postlink"
)

// TestBuildKernelReplaces: a rebuild never writes into a file that a
// reader (QEMU, gdb) may have open. An unchanged file is kept as it is, a
// changed one is replaced by a new file (whoever opened the old one keeps
// reading it), and no temporary files are left behind.
func TestBuildKernelReplaces(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a kernel build")
	}
	dir := t.TempDir()
	img, err := BuildKernel(dir)
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := BuildKernel(dir); err != nil {
		t.Fatal(err)
	}
	if after, err := os.Stat(img); err != nil || !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("an up-to-date image was replaced or touched (%v)", err)
	}

	// A stale image, open for reading, and a killed build's leftovers.
	if err := os.WriteFile(img, []byte("stale"), 0o755); err != nil {
		t.Fatal(err)
	}
	reader, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if err := os.Mkdir(filepath.Join(dir, buildTempPrefix+"killed"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := BuildKernel(dir); err != nil {
		t.Fatal(err)
	}
	var old bytes.Buffer
	if _, err := old.ReadFrom(reader); err != nil || old.String() != "stale" {
		t.Errorf("the open stale image now reads %d bytes (%v), want the 5 it had", old.Len(), err)
	}
	now, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(now, good) {
		t.Errorf("the stale image was not rebuilt")
	}
	if _, err := postlink.ReadPVHEntry(now); err != nil {
		t.Errorf("rebuilt image: %v", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{".lock", "kernel.elf", "oyako.elf", "vdso.so"}; !slices.Equal(names, want) {
		t.Errorf("build directory holds %q, want %q", names, want)
	}
}

// Environment of TestParallelBuilds's child processes.
const (
	parallelDirEnv  = "OYAKO_TEST_PARALLEL_BUILD_DIR"
	parallelProgEnv = "OYAKO_TEST_PARALLEL_BUILD_PROG"
)

// TestParallelBuilds does what two oyako run commands started at once in
// one checkout do: builds of one directory, by goroutines of this process
// and by other processes, start together and each boots the image it got
// while the others are still building. Every one must succeed.
func TestParallelBuilds(t *testing.T) {
	if dir := os.Getenv(parallelDirEnv); dir != "" {
		// A child process started below.
		if err := buildAndBoot(dir, os.Getenv(parallelProgEnv)); err != nil {
			t.Fatal(err)
		}
		return
	}
	root, progDir := userPrograms(t)
	prog, err := BuildUserC(root, progDir, "hello")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const goroutines, processes = 2, 2
	var wg sync.WaitGroup
	errs := make([]error, goroutines+processes)
	for i := range goroutines {
		wg.Go(func() { errs[i] = buildAndBoot(dir, prog) })
	}
	for i := range processes {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestParallelBuilds$", "-test.count=1", "-test.timeout=5m")
			cmd.Env = append(os.Environ(), parallelDirEnv+"="+dir, parallelProgEnv+"="+prog)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[goroutines+i] = fmt.Errorf("process: %v\n%s", err, out)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// buildAndBoot builds the kernel into dir and runs prog, a static hello
// world, with it.
func buildAndBoot(dir, prog string) error {
	img, err := BuildKernel(dir)
	if err != nil {
		return err
	}
	out, err := RunOyako(context.Background(), img, Case{Program: prog}, 2*time.Minute)
	if err != nil {
		return err
	}
	if out.Status != 0 || string(out.Output) != "hello\n" {
		return fmt.Errorf("boot: status %d, output %q", out.Status, out.Output)
	}
	return nil
}
