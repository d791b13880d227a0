package dynlib

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"oyako/fs/cpio"
)

// makeCache writes an ld.so.cache in glibc's new format with the given
// name, path pairs (x86-64 entries), after an old-format one if old.
func makeCache(old bool, pairs ...string) []byte {
	n := len(pairs) / 2
	var strs bytes.Buffer
	strOff := cacheHeaderNew + n*cacheEntryNew
	off := func(s string) uint32 {
		o := strOff + strs.Len()
		strs.WriteString(s)
		strs.WriteByte(0)
		return uint32(o)
	}
	var ents bytes.Buffer
	for i := 0; i < len(pairs); i += 2 {
		var e [cacheEntryNew]byte
		binary.LittleEndian.PutUint32(e[0:], flagX8664Libc6)
		binary.LittleEndian.PutUint32(e[4:], off(pairs[i]))
		binary.LittleEndian.PutUint32(e[8:], off(pairs[i+1]))
		ents.Write(e[:])
	}
	var h [cacheHeaderNew]byte
	copy(h[:], cacheMagicNew)
	binary.LittleEndian.PutUint32(h[20:], uint32(n))
	binary.LittleEndian.PutUint32(h[24:], uint32(strs.Len()))
	h[28] = cacheEndianLE
	out := append(append(h[:], ents.Bytes()...), strs.Bytes()...)
	if old {
		// One old entry (its contents are never read), then padding to
		// 8 bytes.
		pre := make([]byte, 32)
		copy(pre, cacheMagicOld)
		binary.LittleEndian.PutUint32(pre[12:], 1)
		out = append(pre, out...)
	}
	return out
}

func TestParseCache(t *testing.T) {
	for _, old := range []bool{false, true} {
		c, err := ParseCache(makeCache(old, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6", "libc.so.6", "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6"))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6"}
		if got := c.Lookup("libc.so.6"); !reflect.DeepEqual(got, want) {
			t.Errorf("old=%v: Lookup(libc.so.6) = %q, want %q", old, got, want)
		}
		if got := c.Lookup("libz.so.1"); got != nil {
			t.Errorf("Lookup(libz.so.1) = %q", got)
		}
	}
	good := makeCache(false, "libc.so.6", "/x")
	for _, bad := range [][]byte{nil, []byte("garbage"), good[:40], good[:cacheHeaderNew+10], good[:len(good)-3]} {
		if _, err := ParseCache(bad); err == nil {
			t.Errorf("ParseCache(%d bytes) succeeded", len(bad))
		}
	}
}

// TestHostCache compares the host's ld.so.cache as ParseCache reads it
// with what ldconfig -p prints.
func TestHostCache(t *testing.T) {
	data, err := os.ReadFile(CachePath)
	if err != nil {
		t.Skip(err)
	}
	out, err := exec.Command("ldconfig", "-p").Output()
	if err != nil {
		if out, err = exec.Command("/sbin/ldconfig", "-p").Output(); err != nil {
			t.Skip("ldconfig -p:", err)
		}
	}
	c, err := ParseCache(data)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, e := range c.Entries {
		if e.Flags == flagX8664Libc6 {
			got = append(got, e.Name+" "+e.Path)
		}
	}
	re := regexp.MustCompile(`^\s+(\S+) \(libc6,x86-64[^)]*\) => (\S+)$`)
	for _, l := range strings.Split(string(out), "\n") {
		if m := re.FindStringSubmatch(l); m != nil {
			want = append(want, m[1]+" "+m[2])
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("cache has %d x86-64 entries, ldconfig -p %d:\n%q\n%q", len(got), len(want), got, want)
	}
}

// TestHostPrograms resolves Debian's own programs and compares the result
// with what ldd (ld.so --list) loads.
func TestHostPrograms(t *testing.T) {
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("no ldd")
	}
	for _, prog := range []string{"/usr/bin/ls", "/usr/bin/bash", "/usr/bin/perl", "/usr/bin/python3.11", "/usr/bin/ps", "/usr/bin/tar"} {
		if _, err := os.Stat(prog); err != nil {
			continue
		}
		out, err := exec.Command("ldd", prog).Output()
		if err != nil {
			t.Fatalf("ldd %s: %v", prog, err)
		}
		var want []string
		for _, l := range strings.Split(string(out), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) >= 3 && f[1] == "=>":
				want = append(want, f[2])
			case len(f) == 2 && strings.HasPrefix(f[0], "/"):
				want = append(want, f[0])
			}
		}
		r := &Resolver{}
		files, err := r.Resolve(prog, "/init", nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range files {
			if f.Path != f.Host {
				t.Errorf("%s: %s found at %s in the image", prog, f.Host, f.Path)
			}
			got = append(got, f.Path)
		}
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: resolved %q, ldd %q", prog, got, want)
		}
	}
	if _, err := (&Resolver{}).Resolve("/usr/bin/ls", "/init", []string{"/nonexistent/libx.so"}); err == nil {
		t.Error("a missing -lib was not an error")
	}
}

// fakeRoot builds, with gcc, a host tree as Debian lays it out (/lib and
// /lib64 symlinks, ld.so behind an absolute symlink, an ld.so.cache) with
// a program in /opt/app that finds its libraries through DT_RPATH with
// $ORIGIN, a loader's DT_RPATH, DT_RUNPATH, the cache (two glibc-hwcaps
// variants of one library) and the default directories.
func fakeRoot(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	root, build := t.TempDir(), t.TempDir()
	gcc := func(out, src string, args ...string) {
		t.Helper()
		c := filepath.Join(build, filepath.Base(out)+".c")
		if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, out)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		cmd := exec.Command("gcc", append([]string{"-nostdlib", "-fPIC", "-Wl,--no-as-needed", "-o", dst, c, "-L" + build}, args...)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %s: %v\n%s", out, err, b)
		}
		// Later objects link against it by name from the build directory.
		data, _ := os.ReadFile(dst)
		os.WriteFile(filepath.Join(build, filepath.Base(out)), data, 0o755)
	}
	lib := func(out, soname string, args ...string) {
		gcc(out, "int f_"+strings.NewReplacer(".", "_", "-", "_").Replace(soname)+"(void) { return 0; }\n",
			append([]string{"-shared", "-Wl,-soname," + soname}, args...)...)
	}
	lib("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "ld-linux-x86-64.so.2")
	lib("usr/lib/x86_64-linux-gnu/libc.so.6", "libc.so.6")
	lib("usr/lib/x86_64-linux-gnu/libv.so", "libv.so")
	lib("usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libv.so", "libv.so")
	lib("usr/lib/x86_64-linux-gnu/libdef.so", "libdef.so", "-l:ld-linux-x86-64.so.2")
	lib("rp/sub/libsub.so", "libsub.so")
	lib("rp/libr.so", "libr.so", "-l:libsub.so", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/sub")
	lib("opt/app/lib/liba.so", "liba.so", "-l:libr.so", "-l:libdef.so", "-l:libv.so")
	gcc("opt/app/bin/prog", "void _start(void) {}\n", "-l:liba.so", "-l:libc.so.6",
		"-Wl,--disable-new-dtags,-rpath,$ORIGIN/../lib:/rp", "-Wl,--allow-shlib-undefined",
		"-Wl,--dynamic-linker=/lib64/ld-linux-x86-64.so.2")
	for _, l := range [][2]string{
		{"lib", "usr/lib"},
		{"lib64", "usr/lib64"},
		{"usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
		{"etc/localtime", "/usr/share/zoneinfo/Etc/UTC"},
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(l[0])), 0o755)
		if err := os.Symlink(l[1], filepath.Join(root, l[0])); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "usr/share/zoneinfo/Etc"), 0o755)
	os.WriteFile(filepath.Join(root, "usr/share/zoneinfo/Etc/UTC"), []byte("TZif"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/:/bin/sh\n"), 0o644)
	cache := makeCache(false,
		"libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6",
		"libv.so", "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libv.so",
		"libv.so", "/lib/x86_64-linux-gnu/libv.so")
	os.WriteFile(filepath.Join(root, "etc/ld.so.cache"), cache, 0o644)
	return root
}

func TestResolveFake(t *testing.T) {
	root := fakeRoot(t)
	r := &Resolver{Host: Host{Root: root}}
	files, err := r.Resolve("/opt/app/bin/prog", "/init", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []File{
		{"/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"},
		// The program's $ORIGIN is / in the guest (it is /init).
		{"/lib/liba.so", "/opt/app/lib/liba.so"},
		{"/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"},
		// liba.so has no DT_RPATH: its loader's (the program's) serves.
		{"/rp/libr.so", "/rp/libr.so"},
		// Not in the cache: a default directory.
		{"/lib/x86_64-linux-gnu/libdef.so", "/lib/x86_64-linux-gnu/libdef.so"},
		{"/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libv.so", "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libv.so"},
		{"/lib/x86_64-linux-gnu/libv.so", "/lib/x86_64-linux-gnu/libv.so"},
		// libr.so's DT_RUNPATH $ORIGIN/sub.
		{"/rp/sub/libsub.so", "/rp/sub/libsub.so"},
	}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("Resolve:\n got %q\nwant %q", files, want)
	}

	// A missing library is ld.so's error, naming it.
	os.Remove(filepath.Join(root, "rp/sub/libsub.so"))
	_, err = (&Resolver{Host: Host{Root: root}}).Resolve("/opt/app/bin/prog", "/init", nil)
	var m *MissingError
	if !errors.As(err, &m) || m.Name != "libsub.so" || m.Needer != "/rp/libr.so" ||
		!strings.Contains(err.Error(), "error while loading shared libraries: libsub.so: cannot open shared object file") {
		t.Errorf("missing libsub.so: %v", err)
	}
}

// TestGatherFake lays the fake root's program out in an image and checks
// the entries: symlinks as symlinks, the files they lead to, the rootfs's
// paths left alone, the -lib library at /usr/lib too.
func TestGatherFake(t *testing.T) {
	root := fakeRoot(t)
	im := NewImage(Host{Root: root})
	im.Have("/etc", true)
	im.Have("/etc/passwd", false) // the rootfs's wins
	dyn, err := Gather(im, Request{Program: "/opt/app/bin/prog", As: "/init", Libs: []string{"/rp/sub/libsub.so"}})
	if err != nil || !dyn {
		t.Fatal(dyn, err)
	}
	var buf bytes.Buffer
	w := cpio.NewWriter(&buf)
	if err := im.Write(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got := map[string]string{}
	rd := cpio.NewReader(buf.Bytes())
	for {
		h, body, err := rd.Next()
		if err != nil {
			break
		}
		switch h.Mode & cpio.ModeType {
		case cpio.ModeDir:
			got[h.Name] = "dir"
		case cpio.ModeSymlink:
			got[h.Name] = "-> " + string(body)
		default:
			got[h.Name] = "file"
		}
	}
	want := map[string]string{
		"lib":                            "-> usr/lib",
		"lib64":                          "-> usr/lib64",
		"usr":                            "dir",
		"usr/lib":                        "dir",
		"usr/lib64":                      "dir",
		"usr/lib64/ld-linux-x86-64.so.2": "-> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"usr/lib/x86_64-linux-gnu":       "dir",
		"usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2":           "file",
		"usr/lib/x86_64-linux-gnu/libc.so.6":                      "file",
		"usr/lib/x86_64-linux-gnu/libdef.so":                      "file",
		"usr/lib/x86_64-linux-gnu/libv.so":                        "file",
		"usr/lib/x86_64-linux-gnu/glibc-hwcaps":                   "dir",
		"usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3":         "dir",
		"usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libv.so": "file",
		"usr/lib/liba.so":                                         "file",
		"rp":                                                      "dir",
		"rp/libr.so":                                              "file",
		"rp/sub":                                                  "dir",
		"rp/sub/libsub.so":                                        "file",
		"usr/lib/libsub.so":                                       "-> /rp/sub/libsub.so",
		"etc/ld.so.cache":                                         "file",
		"etc/localtime":                                           "-> /usr/share/zoneinfo/Etc/UTC",
		"usr/share":                                               "dir",
		"usr/share/zoneinfo":                                      "dir",
		"usr/share/zoneinfo/Etc":                                  "dir",
		"usr/share/zoneinfo/Etc/UTC":                              "file",
	}
	if !reflect.DeepEqual(got, want) {
		for k, v := range got {
			if want[k] != v {
				t.Errorf("image has %s %s, want %q", k, v, want[k])
			}
		}
		for k, v := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("image lacks %s (%s)", k, v)
			}
		}
	}

	// A static program gathers nothing.
	im = NewImage(Host{Root: root})
	gcc := exec.Command("gcc", "-static", "-nostdlib", "-o", filepath.Join(root, "static"), "-x", "c", "-")
	gcc.Stdin = strings.NewReader("void _start(void) {}\n")
	if b, err := gcc.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if dyn, err := Gather(im, Request{Program: "/static", As: "/init"}); dyn || err != nil || len(im.entries) != 0 {
		t.Errorf("static program: dynamic %v, err %v, %d entries", dyn, err, len(im.entries))
	}
}

func TestWalkLoop(t *testing.T) {
	root := t.TempDir()
	os.Symlink("b", filepath.Join(root, "a"))
	os.Symlink("a", filepath.Join(root, "b"))
	if _, err := (Host{Root: root}).Realpath("/a/x"); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("Realpath of a loop: %v", err)
	}
	os.Symlink("../../../etc", filepath.Join(root, "up"))
	if r, err := (Host{Root: root}).Realpath("/up"); err == nil || r != "" {
		// /etc inside root does not exist: the symlink stays inside.
		t.Errorf("Realpath(/up) = %q, %v", r, err)
	}
}

func TestExpand(t *testing.T) {
	o := &object{origin: File{"/", "/opt/app/bin"}}
	for _, c := range []struct {
		in   string
		want File
		ok   bool
	}{
		{"$ORIGIN/../lib", File{"/lib", "/opt/app/lib"}, true},
		{"${ORIGIN}/x", File{"/x", "/opt/app/bin/x"}, true},
		{"/usr/$LIB/${PLATFORM}", File{"/usr/lib/x86_64-linux-gnu/x86_64", "/usr/lib/x86_64-linux-gnu/x86_64"}, true},
		{"rel", File{"/rel", "/rel"}, true},
		{"", File{}, false},
	} {
		got, ok := expand(c.in, o)
		if got != c.want || ok != c.ok {
			t.Errorf("expand(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
