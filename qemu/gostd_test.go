package qemu

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGoOSSignal runs the Go standard library's own os/signal tests
// (-test.short -test.v) natively and in oyako and requires oyako to pass
// the same tests: Notify, Ignore, Reset and Stop under stress, SIGCONT,
// SIGHUP with and without nohup, signals arriving while every thread
// makes system calls, and the tests that run the test binary again as a
// child. The root is the package's source directory (its tests read
// testdata from their working directory) with busybox, the test binary
// in /bin (oyako gives a program its base name as argv[0], which the
// children are started by) and a static nohup (user/c/nohup.c).
func TestGoOSSignal(t *testing.T) {
	kernel := kernelImage(t)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	test := filepath.Join(dir, "signal.test")
	build := exec.Command("go", "test", "-c", "-o", test, "os/signal")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c os/signal: %v\n%s", err, out)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(strings.TrimSpace(string(goroot)), "src", "os", "signal")
	nohup, err := BuildUserC(root, dir, "nohup")
	if err != nil {
		t.Fatal(err)
	}
	rootfs := shellRootfs(t)
	if err := copyTree(src, rootfs); err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{test: "bin/signal.test", nohup: "usr/bin/nohup"} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(rootfs, filepath.Dir(to)), 0o755)
		if err := os.WriteFile(filepath.Join(rootfs, to), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"-test.short", "-test.v"}
	native := exec.Command(test, args...)
	native.Dir = src
	hostOut, err := native.CombinedOutput()
	if err != nil {
		t.Fatalf("natively: %v\n%s", err, Tail(hostOut, 30))
	}
	oy, err := RunOyako(context.Background(), kernel, Case{Name: "os-signal", Program: test, Args: args, Rootfs: rootfs}, 5*time.Minute)
	if err != nil {
		t.Fatalf("oyako: %v\n%s", err, Tail(oy.Output, 30))
	}
	want, got := testResults(hostOut), testResults(oy.Output)
	if oy.Status != 0 || !slices.Equal(want, got) {
		t.Errorf("os/signal tests: oyako (status %d) ran\n%s\nLinux ran\n%s\noyako's output ends:\n%s",
			oy.Status, strings.Join(got, "\n"), strings.Join(want, "\n"), Tail(oy.Output, 40))
	}
	t.Logf("%d results, as on Linux", len(got))
}

// testResults lists a go test -v run's results ("--- PASS: TestX"),
// sorted, without their times.
func testResults(out []byte) []string {
	var r []string
	for _, m := range regexp.MustCompile(`(?m)^\s*--- (PASS|FAIL|SKIP): (\S+)`).FindAllStringSubmatch(string(out), -1) {
		r = append(r, m[1]+" "+m[2])
	}
	slices.Sort(r)
	return r
}
