// Package dynlib finds, on the host, the files a dynamically linked
// program needs and lays them out in an initramfs at the paths they have
// on the host, without running anything.
//
// Resolve follows what glibc's dynamic loader (elf/dl-load.c,
// _dl_map_object) would do with the program: its interpreter (PT_INTERP),
// then, breadth first, each DT_NEEDED name, looked up through the
// requesting object's DT_RPATH and its loaders' (when it has no
// DT_RUNPATH), its DT_RUNPATH, /etc/ld.so.cache ("glibc-ld.so.cache1.1",
// elf/cache.c) and the default directories, with $ORIGIN, $LIB and
// $PLATFORM expanded. An Image records the files and, as symlinks, every
// symlink met on the way to them (on Debian /lib and /lib64 are symlinks,
// and /lib64/ld-linux-x86-64.so.2 is one), and writes them as cpio
// entries.
//
// Limits: x86-64 glibc only. LD_LIBRARY_PATH, LD_PRELOAD and
// /etc/ld.so.preload are not consulted (the guest's init has none), nor
// are libraries a program opens itself with dlopen (the caller adds them:
// oyako run -lib), gconv modules or NSS modules beyond libc's own.
// $PLATFORM is "x86_64", $LIB is Debian's "lib/x86_64-linux-gnu". Every
// ld.so.cache entry of a name is taken (all glibc-hwcaps variants), as are
// the glibc-hwcaps subdirectories of the searched directories, since which
// one the guest's ld.so picks depends on its CPU.
package dynlib

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Host is the host file system a program's files are taken from: the
// directory Root ("" is /) holds the tree absolute paths name. Symlinks
// are followed inside Root, as chroot(2) would, so a test can lay out a
// tree of its own.
type Host struct {
	Root string
}

// file is the host path of p, an absolute path inside the host tree.
func (h Host) file(p string) string {
	if h.Root == "" {
		return p
	}
	return filepath.Join(h.Root, filepath.FromSlash(p))
}

// node is what a walk needs to know of one path: a directory, a symlink
// (with its target) or anything else.
type node struct {
	dir    bool
	link   bool
	target string
}

// errLoop is ELOOP: more than maxLinks symlinks on the way.
var errLoop = errors.New("too many levels of symbolic links")

// maxLinks bounds the symlinks followed in one walk, as Linux's
// MAXSYMLINKS.
const maxLinks = 40

// walk resolves the absolute path p component by component, looking each
// one up with look and following symlinks (the final one too when
// followLast), and returns the path it leads to, free of symlinks, "." and
// "..". look is given clean absolute paths whose parent is a directory.
func walk(p string, followLast bool, look func(string) (node, error)) (string, error) {
	links := 0
	var rec func(p string, followLast bool) (string, error)
	rec = func(p string, followLast bool) (string, error) {
		comps := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
		cur := "/"
		for i, c := range comps {
			switch c {
			case "", ".":
				continue
			case "..":
				cur = path.Dir(cur)
				continue
			}
			next := path.Join(cur, c)
			n, err := look(next)
			if err != nil {
				return "", err
			}
			last := i == len(comps)-1
			switch {
			case n.link && (!last || followLast):
				if links++; links > maxLinks {
					return "", &fs.PathError{Op: "walk", Path: p, Err: errLoop}
				}
				t := n.target
				if !path.IsAbs(t) {
					t = path.Join(cur, t)
				}
				if cur, err = rec(t, true); err != nil {
					return "", err
				}
			case !n.dir && !n.link && !last:
				return "", &fs.PathError{Op: "walk", Path: next, Err: errors.New("not a directory")}
			default:
				cur = next
			}
		}
		return cur, nil
	}
	return rec(p, followLast)
}

// lookHost is walk's look on the host: next's parent is a directory free
// of symlinks, so Lstat of the host path sees next itself.
func (h Host) lookHost(next string) (node, error) {
	fi, err := os.Lstat(h.file(next))
	if err != nil {
		return node{}, err
	}
	n := node{dir: fi.IsDir(), link: fi.Mode()&fs.ModeSymlink != 0}
	if n.link {
		if n.target, err = os.Readlink(h.file(next)); err != nil {
			return node{}, err
		}
	}
	return n, nil
}

// Realpath returns p (absolute) with every symlink resolved inside the
// host tree, as realpath(3) in a chroot.
func (h Host) Realpath(p string) (string, error) {
	return walk(p, true, h.lookHost)
}

// Lstat is lstat(2) of p inside the host tree: symlinks on the way are
// followed, a final one is not.
func (h Host) Lstat(p string) (fs.FileInfo, error) {
	l, err := h.lpath(p)
	if err != nil {
		return nil, err
	}
	return os.Lstat(l)
}

// lpath is the host path of p with its parent's symlinks resolved inside
// the host tree, its final component as it is.
func (h Host) lpath(p string) (string, error) {
	dir, err := h.Realpath(path.Dir(path.Clean(p)))
	if err != nil {
		return "", err
	}
	return h.file(path.Join(dir, path.Base(p))), nil
}

// Open opens p inside the host tree, following symlinks.
func (h Host) Open(p string) (*os.File, error) {
	r, err := h.Realpath(p)
	if err != nil {
		return nil, err
	}
	return os.Open(h.file(r))
}

// ReadFile reads p inside the host tree, following symlinks.
func (h Host) ReadFile(p string) ([]byte, error) {
	r, err := h.Realpath(p)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(h.file(r))
}

// abs makes a host path given on the command line absolute (relative to
// the working directory) and clean.
func abs(p string) (string, error) {
	a, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return filepath.ToSlash(a), nil
}
