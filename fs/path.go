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

// Root is the root of the file system tree and the start of resolution.
type Root struct {
	Dir Dir
}

// Resolve looks path up from cwd (or the root, for an absolute path) the
// way path_lookupat does: symbolic links are followed in every component
// but the last, and in the last too if follow is set; ".." of the root is
// the root. A trailing slash requires a directory.
func (r *Root) Resolve(c Ctx, cwd Dir, path string, follow bool) (Inode, error) {
	n, _, err := r.walk(c, cwd, path, follow, 0)
	return n, err
}

// ResolveParent resolves all of path but its last component and returns
// the parent directory and that name ("" when path names the root or ends
// in "." or ".."; callers creating files then fail as Linux does).
func (r *Root) ResolveParent(c Ctx, cwd Dir, path string) (Dir, string, error) {
	if path == "" {
		return nil, "", linuxerr.ENOENT
	}
	if len(path) >= PathMax {
		return nil, "", linuxerr.ENAMETOOLONG
	}
	trimmed := strings.TrimRight(path, "/")
	if trimmed == "" {
		return r.Dir, "", nil
	}
	i := strings.LastIndexByte(trimmed, '/')
	dirPath, name := trimmed[:i+1], trimmed[i+1:]
	if len(name) > NameMax {
		return nil, "", linuxerr.ENAMETOOLONG
	}
	var parent Inode = cwd
	if dirPath != "" {
		var err error
		parent, _, err = r.walk(c, cwd, dirPath, true, 0)
		if err != nil {
			return nil, "", err
		}
	}
	d, ok := parent.(Dir)
	if !ok {
		return nil, "", linuxerr.ENOTDIR
	}
	if name == "." || name == ".." {
		return d, "", nil
	}
	return d, name, nil
}

func (r *Root) walk(c Ctx, cwd Dir, path string, follow bool, links int) (Inode, int, error) {
	if path == "" {
		return nil, links, linuxerr.ENOENT
	}
	if len(path) >= PathMax {
		return nil, links, linuxerr.ENAMETOOLONG
	}
	var cur Inode = cwd
	if path[0] == '/' {
		cur = r.Dir
	}
	mustDir := strings.HasSuffix(path, "/")
	parts := strings.Split(path, "/")
	// Drop empty components (from leading, repeated and trailing slashes).
	comps := parts[:0]
	for _, p := range parts {
		if p != "" {
			comps = append(comps, p)
		}
	}
	for i, name := range comps {
		d, ok := cur.(Dir)
		if !ok {
			return nil, links, linuxerr.ENOTDIR
		}
		if len(name) > NameMax {
			return nil, links, linuxerr.ENAMETOOLONG
		}
		var next Inode
		switch name {
		case ".":
			next = d
		case "..":
			next = d.Parent()
		default:
			n, err := d.Lookup(c, name)
			if err != nil {
				return nil, links, err
			}
			next = n
		}
		last := i == len(comps)-1
		if l, ok := next.(Symlink); ok && (!last || follow || mustDir) {
			links++
			if links > maxSymlinks {
				return nil, links, linuxerr.ELOOP
			}
			if m, ok := l.(MagicLink); ok {
				n, err := m.Follow()
				if err != nil {
					return nil, links, err
				}
				if n != nil {
					cur = n
					continue
				}
			}
			target, err := ReadLink(l)
			if err != nil {
				return nil, links, err
			}
			next, links, err = r.walk(c, d, target, true, links)
			if err != nil {
				return nil, links, err
			}
		}
		cur = next
	}
	if _, ok := cur.(Dir); mustDir && !ok {
		return nil, links, linuxerr.ENOTDIR
	}
	return cur, links, nil
}

// Realpath resolves path like Resolve and also returns the canonical
// absolute path of what it found, with every symbolic link resolved (the
// path the kernel records for /proc/PID/exe). With follow unset a final
// symbolic link is returned itself.
func (r *Root) Realpath(c Ctx, cwd Dir, path string, follow bool) (Inode, string, error) {
	for links := 0; ; links++ {
		parent, name, err := r.ResolveParent(c, cwd, path)
		if err != nil {
			return nil, "", err
		}
		if name == "" { // the root, or a path ending in "." or ".."
			n, err := r.Resolve(c, cwd, path, true)
			if err != nil {
				return nil, "", err
			}
			return n, r.PathOf(n.(Dir)), nil
		}
		n, err := parent.Lookup(c, name)
		if err != nil {
			return nil, "", err
		}
		dir := r.PathOf(parent)
		if dir == "/" {
			dir = ""
		}
		l, ok := n.(Symlink)
		if !ok || !follow {
			if strings.HasSuffix(path, "/") {
				if _, ok := n.(Dir); !ok {
					return nil, "", linuxerr.ENOTDIR
				}
			}
			return n, dir + "/" + name, nil
		}
		if links >= maxSymlinks {
			return nil, "", linuxerr.ELOOP
		}
		cwd, path = parent, l.Target()
	}
}

// PathOf returns the absolute path of directory d (for getcwd), found by
// walking up to the root and looking each directory up in its parent.
func (r *Root) PathOf(d Dir) string {
	var parts []string
	for i := 0; i < 256; i++ {
		p := d.Parent()
		if p == d || d == r.Dir {
			break
		}
		ents, err := p.ReadDir()
		if err != nil {
			break
		}
		a := d.Attr()
		found := false
		for _, e := range ents {
			if e.Ino == a.Ino && e.DType == DT_DIR {
				parts = append(parts, e.Name)
				found = true
				break
			}
		}
		if !found {
			break
		}
		d = p
	}
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
