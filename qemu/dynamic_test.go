package qemu

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDynamic runs Debian's own dynamically linked programs (the host's
// binaries, unchanged) natively and in oyako and requires the same
// transcripts and exit statuses (issue 14): oyako run gathers each
// program's interpreter, libraries and glibc's start-up files into the
// image, and the kernel loads ld-linux-x86-64.so.2, which maps the rest.
// The native side runs the same binary in a directory holding the same
// files (RunHost).
func TestDynamic(t *testing.T) {
	t.Run("debian", dynamicDebian)
	t.Run("python3", dynamicPython)
	t.Run("perl", dynamicPerl)
	t.Run("c", dynamicC)
}

// dynamicC runs user/c/dynamic.c, built without -static, with libdyn.so
// given to oyako with -lib (Case.Libs), and checks that its clock reads
// went through the vDSO: the kernel counted no clock_gettime,
// gettimeofday or time system call.
func dynamicC(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserCDynamic(root, dir, "dynamic")
	if err != nil {
		t.Fatal(err)
	}
	lib, err := BuildUserCShared(root, dir, "libdyn")
	if err != nil {
		t.Fatal(err)
	}
	host, oy := runBoth(t, Case{Name: "dynamic", Program: prog, Libs: []string{lib}})
	sameOutcome(t, host, oy)
	stats := SyscallStats(oy.Side)
	for _, call := range []string{"clock_gettime", "gettimeofday", "time"} {
		if n := stats[call].Calls; n != 0 {
			t.Errorf("the kernel counted %d %s system calls; glibc should have read the vDSO", n, call)
		}
	}
}

// dynamicEpoch is the modification time of the files the cases list:
// over six months ago, so that ls -l shows the year rather than the time
// of day.
var dynamicEpoch = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

// dynamicFiles writes the files the Debian cases work on into dir: data/
// with fixed contents, modes and times (a subdirectory, a symlink, an
// executable, an empty file), and data.tar and data.tar.gz (written here,
// listed by tar).
func dynamicFiles(t *testing.T, dir string) {
	t.Helper()
	files := []struct {
		name, body string
		mode       os.FileMode
	}{
		{"data/a.txt", "alpha\n", 0o644},
		{"data/b.txt", "bravo\ncharlie\n", 0o600},
		{"data/empty", "", 0o644},
		{"data/run.sh", "#!/bin/sh\necho run\n", 0o755},
		{"data/words", "pear\napple\nfig\nbanana\napple\ncherry\n", 0o644},
		{"data/numbers", "10\n9\n100\n-3\n42\n", 0o644},
		{"data/sub/c.txt", "charlie in sub\n", 0o640},
		{"data/sub/deeper/d.txt", "delta\n", 0o644},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.txt", filepath.Join(dir, "data", "link")); err != nil {
		t.Fatal(err)
	}
	// An archive of the same files, as a tar user gets one.
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: int64(f.mode), Size: int64(len(f.body)), ModTime: dynamicEpoch,
			Uname: "root", Gname: "root", Typeflag: tar.TypeReg, Format: tar.FormatGNU}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarball.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"data.tar": tarball.Bytes(), "data.tar.gz": gz.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Fixed times last, children before parents, lstat's view (the
	// symlink's own time).
	var paths []string
	filepath.Walk(filepath.Join(dir, "data"), func(p string, _ os.FileInfo, err error) error {
		paths = append(paths, p)
		return err
	})
	for i := len(paths) - 1; i >= 0; i-- {
		if err := lutimes(paths[i], dynamicEpoch); err != nil {
			t.Fatal(err)
		}
	}
}

// debianProgram returns path, a program of Debian's, or skips the test
// if the host has none there.
func debianProgram(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s: %v", path, err)
	}
	return path
}

// dynamicCase runs one Debian program on both sides in a root of
// dynamicFiles and requires the same outcome.
type dynamicCase struct {
	name, prog string
	args       []string
	stdin      string
	add        []string // host programs the case runs, added to oyako's image with their libraries (Case.Add)
}

func runDynamicCase(t *testing.T, c dynamicCase) (host, oy *Outcome) {
	t.Helper()
	kernelImage(t)
	prog := debianProgram(t, c.prog)
	dir := t.TempDir()
	dynamicFiles(t, dir)
	host, oy = runBoth(t, Case{Name: c.name, Program: prog, Args: c.args, Stdin: []byte(c.stdin), Rootfs: dir, Add: c.add})
	sameOutcome(t, host, oy)
	return host, oy
}

// bashScript is run by bash -c: a pipeline of builtins and Debian's
// programs, command substitution, subshells and their statuses, a
// redirection, arithmetic and a loop over a glob. (Arguments reach
// oyako on the kernel command line: one line, no double quotes.)
const bashScript = `printf '%s\n' pear apple fig | sort | cat -n; ` +
	`x=$(echo inner; exit 3); echo x=$x status=$?; ` +
	`(cd data && echo in ${PWD##*/}; exit 4); echo subshell status $?; ` +
	`{ echo one; echo two; } | while read -r w; do echo read $w; done; ` +
	`for f in data/*.txt; do echo $f: $(wc -c < $f) bytes; done; ` +
	`read -r first < data/b.txt; echo first line of b.txt: $first; ` +
	`echo product $((6 * 7)); false | true; echo pipeline statuses ${PIPESTATUS[*]}; ` +
	`sort -u data/words | head -n 2; exit 7`

func dynamicDebian(t *testing.T) {
	for _, c := range []dynamicCase{
		{name: "ls-l", prog: "/usr/bin/ls", args: []string{"-l", "data"}},
		{name: "ls-lR", prog: "/usr/bin/ls", args: []string{"-lR", "data/sub"}},
		{name: "ls-missing", prog: "/usr/bin/ls", args: []string{"data/nope"}},
		{name: "cat", prog: "/usr/bin/cat", args: []string{"data/a.txt", "data/b.txt", "data/link"}},
		{name: "cat-stdin", prog: "/usr/bin/cat", stdin: "from stdin\nsecond line\n"},
		{name: "sort", prog: "/usr/bin/sort", args: []string{"data/words"}},
		{name: "sort-nr", prog: "/usr/bin/sort", args: []string{"-n", "-r", "data/numbers"}},
		{name: "sort-stdin", prog: "/usr/bin/sort", args: []string{"-u"}, stdin: "b\na\nc\na\n"},
		{name: "sha256sum", prog: "/usr/bin/sha256sum", args: []string{"data/a.txt", "data/b.txt", "data/empty"}},
		{name: "date-u", prog: "/usr/bin/date", args: []string{"-u", "-d", "@0"}},
		{name: "date-local", prog: "/usr/bin/date", args: []string{"-d", "@1234567890", "+%F %T %Z %z"}},
		{name: "bash", prog: "/usr/bin/bash", args: []string{"-c", bashScript},
			add: []string{"/usr/bin/sort", "/usr/bin/cat", "/usr/bin/wc", "/usr/bin/head"}},
		// find lists directories in their readdir order, which differs
		// (the host's tmpfs, Linux 6.18, lists the newest entry first,
		// oyako in the order of creation), so these cases find one
		// entry, and bash sorts what a whole walk finds.
		{name: "find", prog: "/usr/bin/find", args: []string{"data", "-name", "c*"}},
		{name: "find-sorted", prog: "/usr/bin/bash", args: []string{"-c", `find data | sort; find data -type f -size -10c -printf '%m %s %u %p\n' | sort`},
			add: []string{"/usr/bin/find", "/usr/bin/sort"}},
		{name: "tar-pipe", prog: "/usr/bin/bash", args: []string{"-c", `tar --sort=name -cf - data | tar -tvf -; echo ${PIPESTATUS[*]}`},
			add: []string{"/usr/bin/tar"}},
		{name: "find-printf", prog: "/usr/bin/find", args: []string{"data", "-type", "l", "-printf", `%y %m %u %g %TY-%Tm-%Td %p -> %l\n`}},
		{name: "tar-create", prog: "/usr/bin/tar", args: []string{"--sort=name", "-cvvf", "new.tar", "data"}},
		{name: "tar-list", prog: "/usr/bin/tar", args: []string{"-tvf", "data.tar"}},
		// tar runs gzip -d through a pipe.
		{name: "tar-gzip", prog: "/usr/bin/tar", args: []string{"-tzvf", "data.tar.gz"}, add: []string{"/usr/bin/gzip"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runDynamicCase(t, c)
		})
	}
}

// dynamicPerl: Debian's perl (perl-base) computes, sorts, reads a
// directory and a file, looks up a user and forks.
func dynamicPerl(t *testing.T) {
	script := `my @n = sort { $a <=> $b } (10, 2, 33, 4); print qq{@n\n}; ` +
		`my %h = map { $_ => length } qw(alpha beta gamma); print join(q{,}, map { qq{$_=$h{$_}} } sort keys %h), qq{\n}; ` +
		`opendir(my $d, q{data}) or die; print join(q{ }, sort grep { !/^\./ } readdir $d), qq{\n}; ` +
		`printf qq{%.5f\n}, atan2(1, 1) * 4; ` +
		`open(my $f, q{<}, q{data/b.txt}) or die; my @l = <$f>; print scalar(@l), qq{ lines, last: $l[-1]}; ` +
		`print q{uid 0 is }, scalar(getpwuid(0)), qq{\n}; ` +
		`my $pid = fork; if ($pid == 0) { exit 5 } waitpid($pid, 0); print q{child status }, $? >> 8, qq{\n}; ` +
		`print q{missing: }, (open(my $g, q{<}, q{data/nope}) ? q{opened} : qq{$!}), qq{\n}; exit 2`
	runDynamicCase(t, dynamicCase{name: "perl", prog: "/usr/bin/perl", args: []string{"-e", script}})
}

// pythonScript computes something and lists a directory.
const pythonScript = `import json, os, sys; ` +
	`print(sum(i * i for i in range(1000)), 2 ** 100); ` +
	`print(sorted(os.listdir('data'))); ` +
	`print({e.name: e.stat().st_size for e in sorted(os.scandir('data/sub'), key=lambda e: e.name) if e.is_file()}); ` +
	`print(json.dumps({'b': [1, 2.5, None], 'a': 'x'}, sort_keys=True)); ` +
	`print(sys.prefix, sys.getfilesystemencoding(), os.path.exists('data/nope')); ` +
	`sys.exit(3)`

// dynamicPython: Debian's python3 (python3-minimal, installed if missing,
// as the Makefile installs what the tests need) with its standard library
// (/usr/lib/python3.11, or whichever the version is, less what
// pythonSkip names) and the interpreter itself at its path, where Python
// looks for its prefix (it searches PATH for argv[0]: /init tells it
// nothing). The image gets them with Case.Add, the extension modules of
// lib-dynload with their libraries.
func dynamicPython(t *testing.T) {
	kernelImage(t)
	py := debianPython(t)
	dir := t.TempDir()
	dynamicFiles(t, dir)
	real, err := filepath.EvalSymlinks(py)
	if err != nil {
		t.Fatal(err)
	}
	stdlib := filepath.Join("/usr/lib", filepath.Base(real))
	ents, err := os.ReadDir(stdlib)
	if err != nil {
		t.Fatal(err)
	}
	add := []string{real}
	for _, e := range ents {
		if !pythonSkip[e.Name()] && !strings.HasPrefix(e.Name(), "config-") {
			add = append(add, filepath.Join(stdlib, e.Name()))
		}
	}
	c := Case{Name: "python3", Program: real, Args: []string{"-c", pythonScript}, Rootfs: dir, Add: add, Memory: "512M"}
	host, oy := runBoth(t, c)
	sameOutcome(t, host, oy)
}

// debianPython returns Debian's /usr/bin/python3, installing
// python3-minimal with apt-get if it is missing (not a pyenv shim or any
// other python3 on PATH: the test runs Debian's binaries).
func debianPython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err == nil {
		return py
	}
	if out, err := aptGet("", "update", "-qq"); err != nil {
		t.Fatalf("apt-get update: %v\n%s", err, out)
	}
	if out, err := aptGet("", "install", "-y", "-qq", "--no-install-recommends", "python3-minimal"); err != nil {
		t.Fatalf("apt-get install python3-minimal: %v\n%s", err, out)
	}
	if _, err := os.Stat(py); err != nil {
		t.Fatal(err)
	}
	return py
}

// pythonSkip are parts of Python's standard library directory that a
// python3 -c run does not need and that would only make the image
// bigger: the test suite, GUI and development tools (and config-*, the
// static libpython and its build files).
var pythonSkip = map[string]bool{
	"test": true, "idlelib": true, "tkinter": true, "turtledemo": true, "lib2to3": true,
	"ensurepip": true, "distutils": true, "pydoc_data": true, "site-packages": true, "dist-packages": true,
}

// TestStraceDynamic: oyako run -strace of Debian's /usr/bin/true shows
// what ld.so does to load it as strace shows it on Linux: the same
// system calls in the same order with the same results (straceShape), and
// the same files opened or looked for (ld.so.preload, ld.so.cache,
// libc.so.6).
func TestStraceDynamic(t *testing.T) {
	kernelImage(t)
	prog := debianProgram(t, "/usr/bin/true")
	linux, oyako := straceBoth(t, prog)
	want, got := stracePaths(linux), stracePaths(oyako)
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("paths differ\nlinux:\n  %s\noyako:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
	if len(want) < 3 {
		t.Errorf("Linux's strace shows %d paths; is /usr/bin/true dynamically linked?\n%s", len(want), linux)
	}
	// The mappings ld.so makes: protections, flags, file descriptors and
	// offsets are the same (addresses are not).
	want, got = straceMaps(linux), straceMaps(oyako)
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("mmap and mprotect calls differ\nlinux:\n  %s\noyako:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
}

// stracePaths returns the calls that name a path in a strace, as
// "call path result", after the first execve (which starts the program:
// its path differs).
func stracePaths(trace string) []string {
	re := regexp.MustCompile(`^([a-z0-9_]+)\((?:AT_FDCWD, )?"([^"]*)".*\) += (-1 E[A-Z0-9]+|\S+)`)
	var l []string
	for _, line := range strings.Split(trace, "\n") {
		m := re.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || m[1] == "execve" && len(l) == 0 {
			continue
		}
		res := m[3]
		if !strings.HasPrefix(res, "-1") {
			res = "ok"
		}
		l = append(l, m[1]+" "+m[2]+" "+res)
	}
	return l
}

// straceMaps returns a strace's mmap, mprotect and munmap calls with
// addresses (hexadecimal numbers of eight digits or more) replaced.
func straceMaps(trace string) []string {
	addr := regexp.MustCompile(`0x[0-9a-f]{8,}`)
	var l []string
	for _, line := range strings.Split(trace, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "mmap(") || strings.HasPrefix(line, "mprotect(") || strings.HasPrefix(line, "munmap(") {
			l = append(l, addr.ReplaceAllString(line, "ADDR"))
		}
	}
	return l
}
