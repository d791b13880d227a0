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
}

// dynamicEpoch is the modification time of the files the cases list:
// over six months ago, so that ls -l shows the year rather than the time
// of day.
var dynamicEpoch = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

// dynamicFiles writes the files the Debian cases work on into dir: data/
// with fixed contents, modes and times (a subdirectory, a symlink, an
// executable, an empty file), data.tar and data.tar.gz (written here,
// listed by tar), and the host's programs named in progs (Debian paths,
// such as /usr/bin/sort) at their paths, for bash and tar to run.
// Programs added this way must need no library that the case's program
// does not (the image gathers the libraries of /init only).
func dynamicFiles(t *testing.T, dir string, progs ...string) {
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
	for _, p := range progs {
		copyHostFile(t, p, filepath.Join(dir, p))
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

// copyHostFile copies the host's file src (symlinks followed) to dst,
// with its mode and modification time.
func copyHostFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, st.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dst, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
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
// dynamicFiles (plus progs) and requires the same outcome.
type dynamicCase struct {
	name, prog string
	args       []string
	stdin      string
	progs      []string // host programs the case runs, added to the root
}

func runDynamicCase(t *testing.T, c dynamicCase) (host, oy *Outcome) {
	t.Helper()
	kernelImage(t)
	prog := debianProgram(t, c.prog)
	dir := t.TempDir()
	dynamicFiles(t, dir, c.progs...)
	host, oy = runBoth(t, Case{Name: c.name, Program: prog, Args: c.args, Stdin: []byte(c.stdin), Rootfs: dir})
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
			progs: []string{"/usr/bin/sort", "/usr/bin/cat", "/usr/bin/wc", "/usr/bin/head"}},
		// find lists directories in their readdir order, which differs
		// (below), so these cases find one entry.
		{name: "find", prog: "/usr/bin/find", args: []string{"data", "-name", "c*"}},
		{name: "find-printf", prog: "/usr/bin/find", args: []string{"data", "-type", "l", "-printf", `%y %m %u %g %TY-%Tm-%Td %p -> %l\n`}},
		{name: "tar-create", prog: "/usr/bin/tar", args: []string{"--sort=name", "-cvvf", "new.tar", "data"}},
		{name: "tar-list", prog: "/usr/bin/tar", args: []string{"-tvf", "data.tar"}},
		// tar runs gzip -d through a pipe.
		{name: "tar-gzip", prog: "/usr/bin/tar", args: []string{"-tzvf", "data.tar.gz"}, progs: []string{"/usr/bin/gzip"}},
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
// (/usr/lib/python3.11 or whichever the version is) copied into the root,
// and the interpreter itself at its path, where Python looks for its
// prefix (it searches PATH for argv[0]: /init tells it nothing).
func dynamicPython(t *testing.T) {
	kernelImage(t)
	py := debianPython(t)
	dir := t.TempDir()
	dynamicFiles(t, dir)
	real, err := filepath.EvalSymlinks(py)
	if err != nil {
		t.Fatal(err)
	}
	copyHostFile(t, real, filepath.Join(dir, real))
	stdlib := filepath.Join("/usr/lib", filepath.Base(real))
	if err := copyPythonStdlib(stdlib, filepath.Join(dir, stdlib)); err != nil {
		t.Fatal(err)
	}
	// Debian's sitecustomize.py is a symlink into /etc.
	if target, err := filepath.EvalSymlinks(filepath.Join(stdlib, "sitecustomize.py")); err == nil {
		copyHostFile(t, target, filepath.Join(dir, target))
	}
	c := Case{Name: "python3", Program: real, Args: []string{"-c", pythonScript}, Rootfs: dir, Memory: "512M"}
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
// bigger: the static libpython and its build files, the test suite, GUI
// and development tools.
var pythonSkip = map[string]bool{
	"test": true, "idlelib": true, "tkinter": true, "turtledemo": true, "lib2to3": true,
	"ensurepip": true, "distutils": true, "pydoc_data": true, "site-packages": true, "dist-packages": true,
}

// copyPythonStdlib copies Python's standard library directory src to dst,
// without pythonSkip and the config-* build directory. Symlinks are kept
// as symlinks.
func copyPythonStdlib(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		top := strings.Split(rel, string(filepath.Separator))[0]
		if info.IsDir() && (pythonSkip[top] || strings.HasPrefix(top, "config-")) {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		switch {
		case info.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&os.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, target)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
	})
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
