package dynlib

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"oyako/fs/cpio"
)

type kind uint8

const (
	kindDir kind = iota + 1
	kindLink
	kindFile
)

// entry is one path of the image.
type entry struct {
	kind   kind
	perm   uint32
	mtime  uint32
	target string // kindLink
	src    string // kindFile: the host file (in the host tree) it copies
	old    bool   // in the image already (the caller writes it): not written
}

// An Image is the set of paths an initramfs gets from the host: files,
// the directories leading to them and, as symlinks, the symlinks met on
// the way (each path is resolved in the image as the guest's kernel will
// resolve it, taking what the image lacks from the host). Paths the image
// has already (Have, HaveTree: the user's rootfs) win over the host's.
type Image struct {
	Host    Host
	entries map[string]*entry // by clean absolute path
	res     *Resolver
}

// NewImage returns an empty image taking its files from h.
func NewImage(h Host) *Image { return &Image{Host: h, entries: map[string]*entry{}} }

// Has reports whether the image has the path p (absolute) itself, not
// following a final symlink.
func (im *Image) Has(p string) bool { return im.entries[path.Clean(p)] != nil }

// HaveTree records the tree at the host directory dir (a rootfs) as the
// root of the image: present already, so never written, and winning over
// the host's paths.
func (im *Image) HaveTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		e := &entry{old: true}
		switch {
		case d.IsDir():
			e.kind = kindDir
		case d.Type()&fs.ModeSymlink != 0:
			e.kind = kindLink
			if e.target, err = os.Readlink(p); err != nil {
				return err
			}
		default:
			e.kind = kindFile
		}
		im.entries[path.Join("/", filepath.ToSlash(rel))] = e
		return nil
	})
}

// Have records p as present in the image already as a directory (dir) or
// a file.
func (im *Image) Have(p string, dir bool) {
	e := &entry{kind: kindFile, old: true}
	if dir {
		e.kind = kindDir
	}
	im.entries[path.Clean(p)] = e
}

// hostEntry is the entry for the host's path p (its parent a directory).
func (im *Image) hostEntry(p string) (*entry, error) {
	fi, err := im.Host.Lstat(p)
	if err != nil {
		return nil, err
	}
	e := &entry{perm: uint32(fi.Mode().Perm()), mtime: uint32(fi.ModTime().Unix())}
	switch {
	case fi.IsDir():
		e.kind = kindDir
	case fi.Mode()&fs.ModeSymlink != 0:
		e.kind = kindLink
		var l string
		if l, err = im.Host.lpath(p); err == nil {
			e.target, err = os.Readlink(l)
		}
	case fi.Mode().IsRegular():
		e.kind = kindFile
		e.src = p
	default:
		return nil, fmt.Errorf("%s: not a regular file, directory or symlink", p)
	}
	return e, err
}

// look is walk's look in the image: its entry, or the host's, which the
// image then gets. With mkdir, a path the host lacks becomes a new
// directory.
func (im *Image) look(mkdir bool) func(string) (node, error) {
	return func(p string) (node, error) {
		e := im.entries[p]
		if e == nil {
			var err error
			if e, err = im.hostEntry(p); err != nil {
				if !mkdir || !os.IsNotExist(err) {
					return node{}, err
				}
				e = &entry{kind: kindDir, perm: 0o755}
			}
			im.entries[p] = e
		}
		return node{dir: e.kind == kindDir, link: e.kind == kindLink, target: e.target}, nil
	}
}

// Add adds the host's path p (absolute) at the same path, with the
// directories and symlinks leading to it and, if it is a symlink, what it
// points to. It returns the path p resolves to.
func (im *Image) Add(p string) (string, error) {
	r, err := walk(p, true, im.look(false))
	if err != nil {
		return "", fmt.Errorf("adding %s to the image: %w", p, err)
	}
	return r, nil
}

// AddAs adds the host file src at the image path p, making the
// directories to it that neither the image nor the host has.
func (im *Image) AddAs(p, src string) error {
	q, err := im.place(p)
	if err != nil || q == "" {
		return err
	}
	real, err := im.Host.Realpath(src)
	if err != nil {
		return err
	}
	fi, err := os.Stat(im.Host.file(real))
	if err != nil {
		return err
	}
	im.entries[q] = &entry{kind: kindFile, perm: uint32(fi.Mode().Perm()), mtime: uint32(fi.ModTime().Unix()), src: src}
	return nil
}

// Symlink adds a symlink at p to target unless the image has p.
func (im *Image) Symlink(p, target string) error {
	q, err := im.place(p)
	if err != nil || q == "" {
		return err
	}
	im.entries[q] = &entry{kind: kindLink, perm: 0o777, target: target}
	return nil
}

// place resolves the directory of the image path p, making the
// directories to it that neither the image nor the host has, and returns
// where p goes, or "" if the image has it already.
func (im *Image) place(p string) (string, error) {
	dir, err := walk(path.Dir(path.Clean(p)), true, im.look(true))
	if err != nil {
		return "", fmt.Errorf("adding %s to the image: %w", p, err)
	}
	q := path.Join(dir, path.Base(p))
	if im.entries[q] != nil {
		return "", nil
	}
	return q, nil
}

// AddTree adds the host's path p and, if it is a directory, everything
// under it (symlinks as symlinks, with their targets). each, if not nil,
// is called with the image path of each regular file added.
func (im *Image) AddTree(p string, each func(string) error) error {
	r, err := im.Add(p)
	if err != nil {
		return err
	}
	e := im.entries[r]
	if e.kind != kindDir {
		if each != nil && e.kind == kindFile && !e.old {
			return each(r)
		}
		return nil
	}
	hostDir, err := im.Host.Realpath(r)
	if err != nil {
		return err
	}
	ents, err := os.ReadDir(im.Host.file(hostDir))
	if err != nil {
		return err
	}
	for _, d := range ents {
		if err := im.AddTree(path.Join(r, d.Name()), each); err != nil {
			return err
		}
	}
	return nil
}

// Write writes the image's new paths to w, parents before children.
func (im *Image) Write(w *cpio.Writer) error {
	names := make([]string, 0, len(im.entries))
	for p, e := range im.entries {
		if !e.old && p != "/" {
			names = append(names, p)
		}
	}
	sort.Strings(names)
	for _, p := range names {
		e := im.entries[p]
		h := cpio.Header{Name: strings.TrimPrefix(p, "/"), Mode: e.perm, MTime: e.mtime}
		var body []byte
		switch e.kind {
		case kindDir:
			h.Mode |= cpio.ModeDir
		case kindLink:
			h.Mode = cpio.ModeSymlink | 0o777
			body = []byte(e.target)
		case kindFile:
			h.Mode |= cpio.ModeRegular
			var err error
			if body, err = im.Host.ReadFile(e.src); err != nil {
				return err
			}
		}
		if err := w.WriteFile(h, body); err != nil {
			return err
		}
	}
	return nil
}
