package dynlib

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"path"
)

// StartupFiles are the files glibc reads as a program starts or looks up
// a user, group or the local time zone; Gather adds those the host has.
// /etc/localtime is a symlink into /usr/share/zoneinfo on Debian: its
// target comes too.
var StartupFiles = []string{"/etc/ld.so.cache", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/localtime"}

// LibDir is where a library given with Request.Libs is also found, by its
// base name: one of ld.so's default directories, so that
// dlopen("libfoo.so") finds it without LD_LIBRARY_PATH or ld.so.cache.
const LibDir = "/usr/lib"

// A Request says what to gather for one dynamically linked program.
type Request struct {
	// Program is the program's host path ("": none, as a static one);
	// it runs in the guest as As (the caller packs it there: "/init").
	Program, As string
	// Libs are host libraries the program opens itself (dlopen): each
	// goes into the image at its absolute host path and, as a symlink,
	// at LibDir/its base name, with the libraries it needs.
	Libs []string
	// Trees are host files or directories added at the same paths, with
	// the interpreters and libraries their ELF files need (a Python
	// standard library with its extension modules, say).
	Trees []string
}

// Gather adds to im what req needs: the program's interpreter and
// libraries, req's Libs and Trees with theirs, and the StartupFiles the
// host has. It reports whether the program is dynamically linked: for a
// static one it adds req's Libs and Trees only (nothing if there are
// none).
func Gather(im *Image, req Request) (dynamic bool, err error) {
	r := im.resolver()
	prog := ""
	if req.Program != "" {
		if prog, err = abs(req.Program); err != nil {
			return false, err
		}
	}
	var libs []string
	for _, l := range req.Libs {
		a, err := abs(l)
		if err != nil {
			return false, err
		}
		libs = append(libs, a)
	}
	files, err := []File(nil), ErrStatic
	if prog != "" {
		files, err = r.Resolve(prog, req.As, libs)
	}
	dynamic = err == nil
	if errors.Is(err, ErrStatic) {
		// The libraries a static program dlopens, with theirs.
		files, err = nil, nil
		for _, l := range libs {
			f, err := r.Library(l)
			if err != nil {
				return false, err
			}
			files = append(files, f...)
		}
	}
	if err != nil {
		return dynamic, err
	}
	if err := im.addFiles(files); err != nil {
		return dynamic, err
	}
	for _, l := range libs {
		if path.Join(LibDir, path.Base(l)) == l {
			continue
		}
		if err := im.Symlink(path.Join(LibDir, path.Base(l)), l); err != nil {
			return dynamic, err
		}
	}
	for _, t := range req.Trees {
		a, err := abs(t)
		if err != nil {
			return dynamic, err
		}
		if err := im.AddTree(a, func(p string) error { return im.addDeps(p, false) }); err != nil {
			return dynamic, err
		}
	}
	if !dynamic {
		return false, nil
	}
	return true, im.AddStartupFiles()
}

// AddStartupFiles adds the StartupFiles the host has.
func (im *Image) AddStartupFiles() error {
	for _, f := range StartupFiles {
		if _, err := im.Host.Lstat(f); err != nil {
			continue
		}
		if _, err := im.Add(f); err != nil {
			return err
		}
	}
	return nil
}

// AddProgram adds the host's program at p (absolute) at the same path,
// with its interpreter and libraries if it is dynamically linked.
func (im *Image) AddProgram(p string) error {
	if _, err := im.Add(p); err != nil {
		return err
	}
	return im.addDeps(p, true)
}

// resolver is the image's Resolver (one, so that ld.so.cache is read
// once).
func (im *Image) resolver() *Resolver {
	if im.res == nil {
		im.res = &Resolver{Host: im.Host}
	}
	return im.res
}

// addFiles adds files at their image paths.
func (im *Image) addFiles(files []File) error {
	for _, f := range files {
		var err error
		if f.Path == f.Host {
			_, err = im.Add(f.Host)
		} else {
			err = im.AddAs(f.Path, f.Host)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// addDeps adds, if the image's file p is an x86-64 ELF executable or
// shared object, its interpreter and the libraries it needs. Unless
// strict, a library the host lacks is left out: a module of a tree is
// loaded only if a program asks for it, and fails then as on the host.
func (im *Image) addDeps(p string, strict bool) error {
	r := im.resolver()
	if !isELF(im.Host, p) {
		return nil
	}
	f, err := r.open(p)
	if err != nil {
		return nil // another architecture: ld.so would not load it either
	}
	in, err := interp(f)
	f.Close()
	if err != nil {
		return err
	}
	if in != "" {
		if _, err := im.Add(in); err != nil {
			return fmt.Errorf("%s: interpreter: %w", p, err)
		}
	}
	files, err := r.Library(p)
	var missing *MissingError
	if err != nil && (strict || !errors.As(err, &missing)) {
		return err
	}
	return im.addFiles(files)
}

// isELF reports whether the host file p starts with ELF's magic number.
func isELF(h Host, p string) bool {
	f, err := h.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var m [4]byte
	_, err = io.ReadFull(f, m[:])
	return err == nil && bytes.Equal(m[:], []byte(elf.ELFMAG))
}
