package qemu

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The shell cases of the conformance suite (issue 7, stage 4, acceptance
// 1): busybox sh runs pipelines, redirections, here-documents, command
// substitution, background jobs, xargs, find -exec and "#!" scripts with
// the same output as on Linux. They run as init on both sides (Case.Init)
// in shellRootfs, so that "ls /" and the process tree agree.

// shellRootfs returns a root directory for shell cases, made in a
// temporary directory of t: the files of user/rootfs, busybox as
// /bin/busybox with a symbolic link in /bin for each of its applets, and
// the scripts of user/sh in /scripts.
func shellRootfs(t *testing.T) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := copyTree(filepath.Join(root, "user", "rootfs"), dir); err != nil {
		t.Fatal(err)
	}
	bb := busybox(t)
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	list, err := exec.Command(bb, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet == "busybox" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
	if err := copyTree(filepath.Join(root, "user", "sh"), filepath.Join(dir, "scripts")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func conformanceShell(t *testing.T) {
	userPrograms(t)
	bb := busybox(t)
	rootfs := shellRootfs(t)
	for _, c := range []struct {
		name  string
		args  []string
		stdin string
	}{
		// sh -c with one-line commands (the kernel command line carries
		// no quotes or newlines; longer scripts are files in /scripts).
		{"pipeline-count", []string{"sh", "-c", "seq 1 100 | grep 7 | wc -l"}, ""},
		{"exit-status", []string{"sh", "-c", "(exit 3); echo $?; false; echo $?; true; echo $?"}, ""},
		{"ls-root", []string{"sh", "-c", "ls /; ls -a /data"}, ""},
		{"pipeline-3", []string{"sh", "-c", "seq 1 1000 | grep 1 | sort -rn | head -3"}, ""},
		{"exit-code", []string{"sh", "-c", "echo going; exit 42"}, ""},
		{"killed", []string{"sh", "-c", "echo dying; kill -TERM $$; echo not reached"}, ""},
		{"redirect", []string{"sh", "/scripts/redirect.sh"}, ""},
		{"heredoc", []string{"sh", "/scripts/heredoc.sh"}, ""},
		{"subst", []string{"sh", "/scripts/subst.sh"}, ""},
		{"jobs", []string{"sh", "/scripts/jobs.sh"}, ""},
		{"xargs", []string{"sh", "/scripts/xargs.sh"}, ""},
		{"find", []string{"sh", "/scripts/find.sh"}, ""},
		{"script", []string{"sh", "/scripts/script.sh"}, ""},
		{"script-by-path", []string{"sh", "-c", "/scripts/hello.sh by path"}, ""},
		// Reading the terminal, and an interactive shell on it. Each
		// prints only once its input has arrived (and been echoed by the
		// line discipline), so that the transcript does not depend on
		// when the input comes: the serial port hands it over a byte at
		// a time, and once the shell's output came between the echo of
		// "r" and of "est". read-tty reads both lines before it prints.
		{"read-tty", []string{"sh", "-c", "read a b; read c; echo got $b $a; echo $c; cat"}, "one two\nrest\n"},
		{"interactive", []string{"sh", "-c", "sleep 1; exec sh -i"}, "echo hi\n(exit 3)\necho $?\nsleep 0.1 &\nwait\nexit 4\n"},
	} {
		coverage.expect()
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compare(t, Case{Name: c.name, Program: bb, Args: c.args, Stdin: []byte(c.stdin), Rootfs: rootfs, Init: true})
		})
	}
}

// conformanceProcShapes runs the programs that read /proc's text files
// (another piece of stage 4) and compares the shape of their output,
// not its values: the header, the number of fields of each line, and
// the rows and fields that are deterministic. A case whose file oyako
// does not have yet is skipped, naming the file: the command checks for
// it first and prints "missing FILE" (nothing, natively).
func conformanceProcShapes(t *testing.T) {
	userPrograms(t)
	bb := busybox(t)
	rootfs := shellRootfs(t)
	for _, c := range []struct {
		name  string
		files []string
		cmd   string
		check func(t *testing.T, linux, oyako []string)
	}{
		{"status", []string{"/proc/self/status"}, "cat /proc/self/status", checkStatus},
		{"ps", []string{"/proc/self/stat"}, "ps", checkColumns(0, 1, 2, 3)},
		{"free", []string{"/proc/meminfo"}, "free", checkColumns(0)},
		{"df", []string{"/proc/mounts"}, "df", checkHeader},
	} {
		coverage.expect()
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var probe []string
			for _, f := range c.files {
				probe = append(probe, "[ -e "+f+" ] || echo missing "+f+";")
			}
			cs := Case{Name: c.name, Program: bb, Args: []string{"sh", "-c", strings.Join(probe, " ") + " " + c.cmd}, Rootfs: rootfs, Init: true}
			host, oy := runSides(t, cs)
			if m := regexp.MustCompile(`(?m)^missing (\S+)$`).FindAllStringSubmatch(string(oy.Output), -1); m != nil {
				var files []string
				for _, f := range m {
					files = append(files, f[1])
				}
				t.Skipf("oyako has no %s yet", strings.Join(files, ", "))
			}
			if host.Status != oy.Status {
				t.Errorf("exit status: linux %d, oyako %d", host.Status, oy.Status)
			}
			c.check(t, lines(host.Output), lines(oy.Output))
			if t.Failed() {
				t.Logf("linux:\n%s\noyako:\n%s", host.Output, oy.Output)
			}
		})
	}
}

func lines(b []byte) []string { return strings.Split(strings.TrimRight(string(b), "\n"), "\n") }

// checkStatus compares /proc/self/status: oyako's fields must be Linux's
// (in Linux's order, though oyako may have fewer), the basic ones must be
// there, and those that do not vary must have the same values.
func checkStatus(t *testing.T, linux, oyako []string) {
	t.Helper()
	fields := func(ls []string) (keys []string, vals map[string]string) {
		vals = map[string]string{}
		for _, l := range ls {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				t.Errorf("not a \"Key: value\" line: %q", l)
				continue
			}
			keys = append(keys, k)
			vals[k] = strings.TrimSpace(v)
		}
		return keys, vals
	}
	lk, lv := fields(linux)
	ok, ov := fields(oyako)
	i := 0
	for _, k := range ok {
		for i < len(lk) && lk[i] != k {
			i++
		}
		if i == len(lk) {
			t.Errorf("field %s: not in Linux's file, or out of Linux's order", k)
			i = 0
		}
	}
	for _, k := range []string{"Name", "State", "Tgid", "Pid", "PPid", "Uid", "Gid", "Threads", "SigBlk", "SigIgn", "SigCgt"} {
		if _, found := ov[k]; !found {
			t.Errorf("field %s missing", k)
		}
	}
	for _, k := range []string{"Name", "Umask", "State", "Tgid", "Pid", "PPid", "TracerPid", "Uid", "Gid", "Threads", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "NoNewPrivs"} {
		if v, found := ov[k]; found && v != lv[k] {
			t.Errorf("field %s: linux %q, oyako %q", k, lv[k], v)
		}
	}
}

// checkHeader requires the same first line and at least one more.
func checkHeader(t *testing.T, linux, oyako []string) {
	t.Helper()
	if linux[0] != oyako[0] {
		t.Errorf("header: linux %q, oyako %q", linux[0], oyako[0])
	}
	if len(oyako) < 2 {
		t.Errorf("no lines after the header")
	}
}

// checkColumns requires the same header, the same number of lines, each
// with as many fields as Linux's, and the same values in the given
// columns.
func checkColumns(cols ...int) func(t *testing.T, linux, oyako []string) {
	return func(t *testing.T, linux, oyako []string) {
		t.Helper()
		checkHeader(t, linux, oyako)
		if len(linux) != len(oyako) {
			t.Errorf("%d lines, Linux has %d", len(oyako), len(linux))
			return
		}
		for i := range linux {
			lf, of := strings.Fields(linux[i]), strings.Fields(oyako[i])
			if len(lf) != len(of) {
				t.Errorf("line %d: %d fields, Linux has %d", i+1, len(of), len(lf))
				continue
			}
			for _, c := range cols {
				if c < len(lf) && lf[c] != of[c] {
					t.Errorf("line %d, field %d: linux %q, oyako %q", i+1, c+1, lf[c], of[c])
				}
			}
		}
	}
}
