package fs

import (
	"strings"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Limits of path resolution (include/uapi/linux/limits.h, fs/namei.c).
const (
	PathMax     = 4096
	NameMax     = 255
	maxSymlinks = 40
)

// Lookup flags.
const (
	// LookupFollow follows a symbolic link in the last component.
	LookupFollow = 1 << iota
)

// Resolve flags: openat2(2)'s struct open_how resolve field
// (include/uapi/linux/openat2.h), which restrict how a path is resolved.
const (
	RESOLVE_NO_XDEV       = 0x01 // stay on the starting mount
	RESOLVE_NO_MAGICLINKS = 0x02 // no /proc magic links
	RESOLVE_NO_SYMLINKS   = 0x04 // no symbolic links at all
	RESOLVE_BENEATH       = 0x08 // never leave the starting directory
	RESOLVE_IN_ROOT       = 0x10 // the starting directory is "/"
	RESOLVE_CACHED        = 0x20 // only what needs no I/O (all of it here)

	// ResolveValid is every resolve flag (VALID_RESOLVE_FLAGS).
	ResolveValid = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |
		RESOLVE_IN_ROOT | RESOLVE_CACHED
	resolveScoped = RESOLVE_BENEATH | RESOLVE_IN_ROOT // LOOKUP_IS_SCOPED
)

// nameidata is the state of one path resolution (fs/namei.c struct
// nameidata): the symbolic links followed so far, the RESOLVE_ flags
// and, for scoped ones, the directory the walk may not leave (nd->root).
type nameidata struct {
	links   int
	resolve uint32
	root    Path
	// symlinked is set once the walk followed a symbolic link's text,
	// and magic once it followed a /proc link to an object: the path as
	// given then no longer names where the walk ended (see Open).
	symlinked, magic bool
}

// Lookup resolves path from start (or the root, for an absolute path) the
// way path_lookupat does: symbolic links are followed in every component
// but the last, and in the last too with LookupFollow or a trailing slash,
// which also requires a directory; ".." of the root is the root; names
// that are mount points lead into what is mounted there, and ".." of a
// mounted root leads out of it.
func (r *Root) Lookup(c Ctx, start Path, path string, flags int) (Path, error) {
	return r.walk(c, start, path, flags&LookupFollow != 0, &nameidata{})
}

// Resolve is Lookup for callers that need only the inode.
func (r *Root) Resolve(c Ctx, start Path, path string, follow bool) (Inode, error) {
	f := 0
	if follow {
		f = LookupFollow
	}
	p, err := r.Lookup(c, start, path, f)
	return p.Node, err
}

// newNameidata starts a resolution from start under resolve flags.
func newNameidata(start Path, resolve uint32) *nameidata {
	return &nameidata{resolve: resolve, root: start}
}

// jumpRoot is where an absolute path or symbolic link leads
// (nd_jump_root): EXDEV under RESOLVE_BENEATH; the starting directory
// under RESOLVE_IN_ROOT; under RESOLVE_NO_XDEV, EXDEV if the root is on
// another mount than cur, unless the walk has not started (an absolute
// path argument).
func (r *Root) jumpRoot(cur Path, started bool, nd *nameidata) (Path, error) {
	switch {
	case nd.resolve&RESOLVE_BENEATH != 0:
		return Path{}, linuxerr.EXDEV
	case nd.resolve&RESOLVE_IN_ROOT != 0:
		return nd.root, nil
	}
	top := r.Top()
	if nd.resolve&RESOLVE_NO_XDEV != 0 && started && cur.Mnt != top.Mnt {
		return Path{}, linuxerr.EXDEV
	}
	return top, nil
}

func (r *Root) walk(c Ctx, start Path, path string, follow bool, nd *nameidata) (Path, error) {
	if path == "" {
		return Path{}, linuxerr.ENOENT
	}
	if len(path) >= PathMax {
		return Path{}, linuxerr.ENAMETOOLONG
	}
	cur := start
	if path[0] == '/' {
		var err error
		if cur, err = r.jumpRoot(cur, false, nd); err != nil {
			return Path{}, err
		}
	}
	mustDir := strings.HasSuffix(path, "/")
	comps := components(path)
	for i, name := range comps {
		d, ok := cur.Node.(Dir)
		if !ok {
			return Path{}, linuxerr.ENOTDIR
		}
		if len(name) > NameMax {
			return Path{}, linuxerr.ENAMETOOLONG
		}
		next, err := r.step(c, cur, d, name, nd)
		if err != nil {
			return Path{}, err
		}
		last := i == len(comps)-1
		if l, ok := next.Node.(Symlink); ok && (!last || follow || mustDir) {
			if next, err = r.followLink(c, cur, next, l, nd); err != nil {
				return Path{}, err
			}
		}
		cur = next
	}
	if _, ok := cur.Node.(Dir); mustDir && !ok {
		return Path{}, linuxerr.ENOTDIR
	}
	return cur, nil
}

// followLink resolves the symbolic link at link, found in directory dir
// (pick_link): ELOOP past 40 links, on a nosymfollow mount, or under
// RESOLVE_NO_SYMLINKS. Following a link accesses it. A /proc magic link
// is ELOOP under RESOLVE_NO_MAGICLINKS and EXDEV for a scoped walk or one
// that would change mounts under RESOLVE_NO_XDEV (nd_jump_link).
func (r *Root) followLink(c Ctx, dir, link Path, l Symlink, nd *nameidata) (Path, error) {
	nd.links++
	if nd.links > maxSymlinks {
		return Path{}, linuxerr.ELOOP
	}
	if link.Mnt != nil && link.Mnt.Flags()&MNT_NOSYMFOLLOW != 0 {
		return Path{}, linuxerr.ELOOP
	}
	if nd.resolve&RESOLVE_NO_SYMLINKS != 0 {
		return Path{}, linuxerr.ELOOP
	}
	accessed(link)
	if m, ok := l.(MagicLink); ok {
		// /proc's links to objects (nd_jump_link): the object itself.
		p, err := m.Follow()
		if err != nil {
			return Path{}, err
		}
		if p.Node != nil {
			switch {
			case nd.resolve&RESOLVE_NO_MAGICLINKS != 0:
				return Path{}, linuxerr.ELOOP
			case nd.resolve&RESOLVE_NO_XDEV != 0 && p.Mnt != link.Mnt:
				return Path{}, linuxerr.EXDEV
			case nd.resolve&resolveScoped != 0:
				return Path{}, linuxerr.EXDEV
			}
			nd.magic = true
			return p, nil
		}
	}
	nd.symlinked = true
	target, err := ReadLink(l)
	if err != nil {
		return Path{}, err
	}
	if target != "" && target[0] == '/' {
		if dir, err = r.jumpRoot(dir, true, nd); err != nil {
			return Path{}, err
		}
		target = strings.TrimLeft(target, "/")
		if target == "" {
			return dir, nil
		}
	}
	return r.walk(c, dir, target, true, nd)
}

// step moves from directory cur (whose Dir is d) to its entry name.
// Scoped walks stop at their root: ".." there is EXDEV under
// RESOLVE_BENEATH and the root itself under RESOLVE_IN_ROOT
// (follow_dotdot); RESOLVE_NO_XDEV refuses to change mounts (EXDEV),
// into a mount point or out of a mount's root.
func (r *Root) step(c Ctx, cur Path, d Dir, name string, nd *nameidata) (Path, error) {
	var next Path
	switch name {
	case ".":
		return cur, nil
	case "..":
		if nd.resolve&resolveScoped != 0 && cur == nd.root {
			if nd.resolve&RESOLVE_BENEATH != 0 {
				return Path{}, linuxerr.EXDEV
			}
			return cur, nil
		}
		next = r.up(cur)
	default:
		n, err := d.Lookup(c, name)
		if err != nil {
			return Path{}, err
		}
		next = r.down(Path{cur.Mnt, n})
	}
	if nd.resolve&RESOLVE_NO_XDEV != 0 && next.Mnt != cur.Mnt {
		return Path{}, linuxerr.EXDEV
	}
	return next, nil
}

// components splits a path into its names, without empty ones.
func components(path string) []string {
	parts := strings.Split(path, "/")
	comps := parts[:0]
	for _, p := range parts {
		if p != "" {
			comps = append(comps, p)
		}
	}
	return comps
}

// What the last component of a path is (LAST_NORM and friends).
type lastType int

const (
	lastNorm lastType = iota
	lastRoot
	lastDot
	lastDotDot
)

// parentOf is the result of filename_parentat: the directory holding the
// last component, the component, its kind, and whether slashes followed
// it.
type parentOf struct {
	dir      Path
	name     string
	typ      lastType
	trailing bool
}

// Dir returns the parent directory.
func (p *parentOf) Dir() Dir { return p.dir.Node.(Dir) }

// parent resolves all of path but its last component (filename_parentat).
func (r *Root) parent(c Ctx, start Path, path string) (parentOf, error) {
	return r.parentAt(c, start, path, &nameidata{})
}

// parentAt is parent as part of the resolution nd.
func (r *Root) parentAt(c Ctx, start Path, path string, nd *nameidata) (parentOf, error) {
	if path == "" {
		return parentOf{}, linuxerr.ENOENT
	}
	if len(path) >= PathMax {
		return parentOf{}, linuxerr.ENAMETOOLONG
	}
	trimmed := strings.TrimRight(path, "/")
	if trimmed == "" {
		root, err := r.jumpRoot(start, false, nd)
		if err != nil {
			return parentOf{}, err
		}
		return parentOf{dir: root, typ: lastRoot, trailing: true}, nil
	}
	i := strings.LastIndexByte(trimmed, '/')
	dirPath, name := trimmed[:i+1], trimmed[i+1:]
	res := parentOf{dir: start, name: name, trailing: len(trimmed) < len(path)}
	if dirPath != "" {
		p, err := r.walk(c, start, dirPath, true, nd)
		if err != nil {
			return parentOf{}, err
		}
		res.dir = p
	}
	if _, ok := res.dir.Node.(Dir); !ok {
		return parentOf{}, linuxerr.ENOTDIR
	}
	switch name {
	case ".":
		res.typ = lastDot
	case "..":
		res.typ = lastDotDot
	default:
		if len(name) > NameMax {
			return parentOf{}, linuxerr.ENAMETOOLONG
		}
	}
	return res, nil
}

// ResolveParent resolves all of path but its last component and returns
// the parent directory and that name ("" when path names the root or ends
// in "." or "..").
func (r *Root) ResolveParent(c Ctx, start Path, path string) (Path, string, error) {
	p, err := r.parent(c, start, path)
	if err != nil {
		return Path{}, "", err
	}
	if p.typ != lastNorm {
		return p.dir, "", nil
	}
	return p.dir, p.name, nil
}

// Realpath resolves path like Lookup and also returns the canonical
// absolute path of what it found, with every symbolic link resolved (the
// path the kernel records for /proc/PID/exe). With follow unset a final
// symbolic link is returned itself.
func (r *Root) Realpath(c Ctx, start Path, path string, follow bool) (Path, string, error) {
	for links := 0; ; links++ {
		p, err := r.parent(c, start, path)
		if err != nil {
			return Path{}, "", err
		}
		if p.typ != lastNorm {
			n, err := r.Lookup(c, start, path, LookupFollow)
			if err != nil {
				return Path{}, "", err
			}
			s, err := r.PathOf(n)
			return n, s, err
		}
		n, err := p.Dir().Lookup(c, p.name)
		if err != nil {
			return Path{}, "", err
		}
		dir, err := r.PathOf(p.dir)
		if err != nil {
			return Path{}, "", err
		}
		if dir == "/" {
			dir = ""
		}
		l, ok := n.(Symlink)
		if !ok || !follow {
			if p.trailing {
				if _, ok := n.(Dir); !ok {
					return Path{}, "", linuxerr.ENOTDIR
				}
			}
			return r.down(Path{p.dir.Mnt, n}), dir + "/" + p.name, nil
		}
		if links >= maxSymlinks {
			return Path{}, "", linuxerr.ELOOP
		}
		target, err := ReadLink(l)
		if err != nil {
			return Path{}, "", err
		}
		if m, ok := l.(MagicLink); ok {
			j, err := m.Follow()
			if err != nil {
				return Path{}, "", err
			}
			if j.Node != nil {
				return j, target, nil // the object; its name as the link shows it
			}
		}
		start, path = p.dir, target
	}
}

// PathOf returns the absolute path of directory p (d_path, for getcwd and
// /proc/mounts): ENOENT if it was removed. A directory of a mount that
// was detached is shown from the detached mount's root, after
// "(unreachable)", as getcwd(2) shows it.
func (r *Root) PathOf(p Path) (string, error) {
	var parts []string
	for i := 0; i < PathMax; i++ {
		if p.Mnt != nil && p.Node == p.Mnt.root {
			r.mu.RLock()
			parent, point, top := p.Mnt.parent, p.Mnt.point, r.top
			r.mu.RUnlock()
			if parent == nil {
				if p.Mnt != top {
					return "(unreachable)" + joinReversed(parts), nil
				}
				break
			}
			p = Path{parent, point}
			continue
		}
		d, ok := p.Node.(Dir)
		if !ok {
			return "", linuxerr.ENOTDIR
		}
		name, parent, ok := dirName(d)
		if !ok {
			return "", linuxerr.ENOENT
		}
		if parent == d {
			break
		}
		parts = append(parts, name)
		p = Path{p.Mnt, parent}
	}
	return joinReversed(parts), nil
}

// dirName returns a directory's name in its parent and the parent; ok is
// false for a removed directory.
func dirName(d Dir) (string, Dir, bool) {
	if rd, ok := d.(*RamDir); ok {
		return rd.nameInParent()
	}
	p := d.Parent()
	if p == d {
		return "", p, true
	}
	ents, err := p.ReadDir()
	if err != nil {
		return "", p, false
	}
	a := d.Attr()
	for _, e := range ents {
		if e.Ino == a.Ino && e.DType == DT_DIR {
			return e.Name, p, true
		}
	}
	return "", p, false
}

// joinReversed makes "/a/b" of []string{"b", "a"}.
func joinReversed(parts []string) string {
	if len(parts) == 0 {
		return "/"
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString("/")
		b.WriteString(parts[i])
	}
	return b.String()
}

// Accessed updates p's access time as its mount's atime flags say
// (touch_atime), for the inodes that keep one: readlink(2) reads a link.
func Accessed(p Path) { accessed(p) }

func accessed(p Path) {
	n, ok := p.Node.(ramNode)
	if !ok {
		return
	}
	var fl uint32
	if p.Mnt != nil {
		fl = p.Mnt.Flags()
	}
	n.meta().accessed(fl)
}
