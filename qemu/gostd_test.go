package qemu

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path"
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
// child. Besides the package's source directory the root has a static
// nohup (user/c/nohup.c).
func TestGoOSSignal(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	nohup, err := BuildUserC(root, t.TempDir(), "nohup")
	if err != nil {
		t.Fatal(err)
	}
	goStdTest(t, "os/signal", map[string]string{nohup: "usr/bin/nohup"}, nil, 5*time.Minute)
}

// TestGoNet runs the Go standard library's net package tests
// (-test.short -test.v) natively and in oyako and requires the same
// results: TCP, UDP, IPv4 and IPv6 and Unix sockets, deadlines,
// splice and sendfile, the resolver against /etc/hosts and a fake DNS
// server, interfaces from netlink, and the tests that need no outside
// network. The root also has the host's /etc/services and
// /etc/protocols (which the package reads for port and protocol names)
// and the module's src/testdata (sendfile's tests read
// ../testdata/Isaac.Newton-Opticks.txt).
//
// Skipped on both sides: TestSplice's five "big" cases, which copy
// 1 GiB each through a socket — under TCG that takes about two minutes
// each (measured: 585 s for TestSplice), too long for make test; the
// cases with the same code path and smaller sizes run.
func TestGoNet(t *testing.T) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range []string{"/etc/services", "/etc/protocols"} {
		if _, err := os.Stat(f); err == nil {
			files[f] = f[1:]
		}
	}
	testdata := filepath.Join(strings.TrimSpace(string(goroot)), "src", "testdata")
	entries, err := os.ReadDir(testdata)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			files[filepath.Join(testdata, e.Name())] = "testdata/" + e.Name()
		}
	}
	goStdTest(t, "net", files, []string{"-test.skip", "^TestSplice$/./^big$"}, 5*time.Minute)
}

// goStdTest runs the Go standard library's tests of pkg, built with
// CGO_ENABLED=0, natively from the package's source directory and in
// oyako, and requires the same results (PASS, FAIL and SKIP of every
// test and subtest) and a zero status in oyako. oyako's root is the
// package's source directory (tests read testdata from their working
// directory) with busybox, the test binary in /bin (oyako gives a
// program its base name as argv[0], which children are started by),
// and files: host paths to their paths in the root.
func goStdTest(t *testing.T, pkg string, files map[string]string, extra []string, timeout time.Duration) {
	t.Helper()
	kernel := kernelImage(t)
	dir := t.TempDir()
	name := path.Base(pkg) + ".test"
	test := filepath.Join(dir, name)
	build := exec.Command("go", "test", "-c", "-o", test, pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c %s: %v\n%s", pkg, err, out)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(strings.TrimSpace(string(goroot)), "src", filepath.FromSlash(pkg))
	rootfs := shellRootfs(t)
	if err := copyTree(src, rootfs); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{test: "bin/" + name}
	maps.Copy(all, files)
	for from, to := range all {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(rootfs, filepath.Dir(to)), 0o755)
		if err := os.WriteFile(filepath.Join(rootfs, to), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	args := append([]string{"-test.short", "-test.v"}, extra...)
	native := exec.Command(test, args...)
	native.Dir = src
	hostOut, err := native.CombinedOutput()
	if err != nil {
		t.Fatalf("natively: %v\n%s", err, Tail(hostOut, 30))
	}
	oy, err := RunOyako(context.Background(), kernel, Case{Name: strings.ReplaceAll(pkg, "/", "-"), Program: test, Args: args, Rootfs: rootfs, Memory: "512M"}, timeout)
	if err != nil {
		t.Fatalf("oyako: %v\n%s", err, Tail(oy.Output, 30))
	}
	want, got := testResults(hostOut), testResults(oy.Output)
	if oy.Status != 0 || !slices.Equal(want, got) {
		t.Errorf("%s tests: oyako (status %d) ran\n%s\nLinux ran\n%s\noyako's output ends:\n%s",
			pkg, oy.Status, strings.Join(got, "\n"), strings.Join(want, "\n"), Tail(oy.Output, 40))
		return
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
