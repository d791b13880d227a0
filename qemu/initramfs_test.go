package qemu

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"oyako/fs/cpio"
)

// imageEntries lists an archive's members: name, then "dir", "-> target"
// or the file's contents (for files smaller than 64 bytes) or its size.
func imageEntries(t *testing.T, image []byte) (names []string, what map[string]string) {
	t.Helper()
	what = map[string]string{}
	r := cpio.NewReader(image)
	for {
		h, body, err := r.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
		switch h.Mode & cpio.ModeType {
		case cpio.ModeDir:
			what[h.Name] = "dir"
		case cpio.ModeSymlink:
			what[h.Name] = "-> " + string(body)
		default:
			what[h.Name] = string(body)
			if len(body) >= 64 {
				what[h.Name] = "file"
			}
		}
	}
	return names, what
}

// TestInitramfsStatic: a static program's image is what it always was —
// the rootfs, the network files, /init — and nothing from the host.
func TestInitramfsStatic(t *testing.T) {
	bb, err := FindBusybox()
	if err != nil {
		t.Skip(err)
	}
	rootfs := t.TempDir()
	os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755)
	os.WriteFile(filepath.Join(rootfs, "etc", "passwd"), []byte("root:x:0:0::/:/bin/sh\n"), 0o644)
	for _, c := range []struct {
		rootfs string
		want   []string
	}{
		{"", []string{"etc", "etc/hosts", "etc/resolv.conf", "init"}},
		{rootfs, []string{"etc", "etc/passwd", "etc/hosts", "etc/resolv.conf", "init"}},
	} {
		image, err := BuildInitramfs(bb, c.rootfs)
		if err != nil {
			t.Fatal(err)
		}
		if names, _ := imageEntries(t, image); !reflect.DeepEqual(names, c.want) {
			t.Errorf("rootfs %q: image has %q, want %q", c.rootfs, names, c.want)
		}
	}
}

// TestInitramfsDynamic: a dynamic program's image has its interpreter and
// libraries at their host paths with the symlinks on the way, glibc's
// start-up files, a -lib library in /usr/lib too; the rootfs's files
// win.
func TestInitramfsDynamic(t *testing.T) {
	prog := "/usr/bin/true"
	if out, err := exec.Command("ldd", prog).Output(); err != nil || !strings.Contains(string(out), "libc.so.6") {
		t.Skip("no dynamically linked /usr/bin/true")
	}
	rootfs := t.TempDir()
	os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755)
	os.WriteFile(filepath.Join(rootfs, "etc", "passwd"), []byte("mine\n"), 0o644)
	lib := "/usr/lib/x86_64-linux-gnu/libz.so.1"
	var libs []string
	if _, err := os.Stat(lib); err == nil {
		libs = []string{lib}
	}
	image, err := Initramfs{Program: prog, Rootfs: rootfs, Libs: libs}.Build()
	if err != nil {
		t.Fatal(err)
	}
	names, what := imageEntries(t, image)
	if names[len(names)-1] != "init" {
		t.Errorf("last member %q, want init", names[len(names)-1])
	}
	seen := map[string]int{}
	for _, n := range names {
		if seen[n]++; seen[n] > 1 {
			t.Errorf("%s packed twice", n)
		}
	}
	want := map[string]string{"etc/passwd": "mine\n", "etc/ld.so.cache": "file"}
	for _, p := range []string{"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6", "/etc/localtime", "/etc/nsswitch.conf", "/etc/group"} {
		// Each symlink on the host's way to p is one in the image.
		cur := ""
		for _, c := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
			cur = filepath.Join(cur, c)
			fi, err := os.Lstat("/" + cur)
			if err != nil {
				t.Skipf("host lacks %s", p)
			}
			if fi.Mode()&os.ModeSymlink != 0 {
				target, _ := os.Readlink("/" + cur)
				want[cur] = "-> " + target
				if filepath.IsAbs(target) {
					cur = strings.TrimPrefix(target, "/")
				} else {
					cur = filepath.Join(filepath.Dir(cur), target)
				}
				cur, _ = filepath.EvalSymlinks("/" + cur)
				cur = strings.TrimPrefix(cur, "/")
			}
		}
		if _, ok := want[cur]; !ok {
			want[cur] = "file"
		}
	}
	if libs != nil {
		want["usr/lib/libz.so.1"] = "-> " + lib
	}
	for n, w := range want {
		got, ok := what[n]
		if !ok {
			t.Errorf("image lacks %s", n)
		} else if got != w && !(w == "file" && got != "dir" && !strings.HasPrefix(got, "-> ")) {
			t.Errorf("image has %s %q, want %q", n, got, w)
		}
	}
	if t.Failed() {
		t.Logf("image: %q", names)
	}
}

// TestInitCmdlineArgs64: arguments a command line can carry go as they
// are; when one cannot (a double quote, a newline), all of them go in
// base64 behind the args64 option, and decode to what was given.
func TestInitCmdlineArgs64(t *testing.T) {
	line, err := InitCmdline([]string{"quiet"}, "/x/prog", []string{"a b", "c"})
	if err != nil || line != `quiet argv0=prog -- "a b" c` {
		t.Fatalf("plain: %q, %v", line, err)
	}
	args := []string{`print "hi"`, "two\nlines", ""}
	line, err = InitCmdline(nil, "/x/prog", args)
	if err != nil {
		t.Fatal(err)
	}
	head, tail, ok := strings.Cut(line, " -- ")
	if !ok || head != "argv0=prog args64" {
		t.Fatalf("encoded: %q", line)
	}
	words := strings.Split(tail, " ")
	if len(words) != len(args) {
		t.Fatalf("encoded words %q", words)
	}
	for i, w := range words {
		if w == "" {
			w = `""`
		}
		b, err := base64.RawURLEncoding.DecodeString(strings.Trim(w, `"`))
		if err != nil || string(b) != args[i] {
			t.Errorf("word %d %q decodes to %q, %v; want %q", i, w, b, err, args[i])
		}
	}
}
