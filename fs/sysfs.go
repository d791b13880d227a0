package fs

import (
	"slices"
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// sysfs, reduced to what programs that ask about the network read:
// /sys/class/CLASS/DEVICE/ATTRIBUTE, where the subsystem that owns a
// class (socket/inet for "net") lists its devices and their attributes
// with RegisterSysClass. Each attribute is a read-only file whose text is
// made when it is read, as sysfs's show methods make it. Limits: no
// /sys/devices tree (the class entries are directories, not links into
// it), no /sys/kernel, /sys/fs or /sys/block; nothing is writable but
// the trusted.* and security.* extended attributes (xattr.go).
// Every mount shows the same tree.

// SYSFS_MAGIC is sysfs's statfs f_type (include/uapi/linux/magic.h).
const SYSFS_MAGIC = 0x62656572

var sysfsType = fsType{name: "sysfs", magic: SYSFS_MAGIC}

// SysDevice is a device of a class: its name and attributes in the
// order its directory lists them.
type SysDevice struct {
	Name  string
	Attrs []SysAttr
}

// SysAttr is an attribute file: its name and its text.
type SysAttr struct {
	Name, Value string
}

var (
	sysMu      sync.Mutex
	sysClasses = map[string]func() []SysDevice{}
	sysInos    = map[string]uint64{} // by path, so a file keeps its number
)

// RegisterSysClass adds /sys/class/class, whose devices list returns
// when looked at.
func RegisterSysClass(class string, list func() []SysDevice) {
	sysMu.Lock()
	defer sysMu.Unlock()
	if sysClasses[class] != nil {
		panic("fs: /sys/class/" + class + " registered twice")
	}
	sysClasses[class] = list
}

func sysClassList(class string) (func() []SysDevice, bool) {
	sysMu.Lock()
	defer sysMu.Unlock()
	l, ok := sysClasses[class]
	return l, ok
}

func sysClassNames() []string {
	sysMu.Lock()
	defer sysMu.Unlock()
	var out []string
	for n := range sysClasses {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// sysIno numbers the node at path, the same number each time.
func sysIno(path string) uint64 {
	sysMu.Lock()
	defer sysMu.Unlock()
	ino, ok := sysInos[path]
	if !ok {
		ino = NewIno()
		sysInos[path] = ino
	}
	return ino
}

func init() {
	fsTypes = slices.Insert(fsTypes, 0, &sysfsType) // first, as Linux lists it
	sysfsType.new = func(r *Root, opts []string) (FileSystem, error) {
		s := &sysFS{dev: r.newDev()}
		s.root = &sysDir{fs: s, path: "", list: s.rootEntries}
		s.root.parent = s.root
		return s, s.Reconfigure(opts)
	}
}

// sysFS is a mount of sysfs.
type sysFS struct {
	dev  uint64
	root *sysDir

	xmu sync.Mutex
	xa  map[string]*Xattrs // extended attributes by node path, made on first use
}

// xattrs returns the extended attributes of the node at path: kernfs
// keeps them with the node, which outlives its lookups.
func (s *sysFS) xattrs(path string) *Xattrs {
	s.xmu.Lock()
	defer s.xmu.Unlock()
	x := s.xa[path]
	if x == nil {
		if s.xa == nil {
			s.xa = map[string]*Xattrs{}
		}
		x = &Xattrs{}
		s.xa[path] = x
	}
	return x
}

func (s *sysFS) RootDir() Dir                 { return s.root }
func (s *sysFS) Statfs(*Statfs)               {}
func (s *sysFS) ShowOptions() string          { return "" }
func (s *sysFS) Reconfigure(_ []string) error { return nil }

// sysEntry is a name in a sysfs directory and how to make its node.
type sysEntry struct {
	name string
	dir  func() []sysEntry // a directory's entries, or nil for a file
	text string
}

// sysDir is a directory of sysfs whose entries list makes.
type sysDir struct {
	fs     *sysFS
	parent Dir
	path   string
	list   func() []sysEntry
}

func (d *sysDir) Attr() Attr {
	now := Now()
	return Attr{Dev: d.fs.dev, Ino: sysIno(d.path), Mode: S_IFDIR | 0o755, Nlink: 2, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}
}

func (d *sysDir) Parent() Dir { return d.parent }

func (d *sysDir) Lookup(_ Ctx, name string) (Inode, error) {
	for _, e := range d.list() {
		if e.name != name {
			continue
		}
		p := d.path + "/" + name
		if e.dir != nil {
			return &sysDir{fs: d.fs, parent: d, path: p, list: e.dir}, nil
		}
		return &sysFile{fs: d.fs, path: p, text: e.text}, nil
	}
	return nil, linuxerr.ENOENT
}

func (d *sysDir) ReadDir() ([]Dirent, error) {
	var out []Dirent
	for _, e := range d.list() {
		dt := uint8(DT_REG)
		if e.dir != nil {
			dt = DT_DIR
		}
		out = append(out, Dirent{Name: e.name, Ino: sysIno(d.path + "/" + e.name), DType: dt})
	}
	return out, nil
}

// rootEntries is /sys: class, and in it a directory per registered
// class.
func (s *sysFS) rootEntries() []sysEntry {
	return []sysEntry{{name: "class", dir: func() []sysEntry {
		var out []sysEntry
		for _, c := range sysClassNames() {
			out = append(out, sysEntry{name: c, dir: func() []sysEntry { return classEntries(c) }})
		}
		return out
	}}}
}

// classEntries is /sys/class/class: a directory per device, a file per
// attribute in it.
func classEntries(class string) []sysEntry {
	list, ok := sysClassList(class)
	if !ok {
		return nil
	}
	var out []sysEntry
	for _, dev := range list() {
		attrs := dev.Attrs
		out = append(out, sysEntry{name: dev.Name, dir: func() []sysEntry {
			var files []sysEntry
			for _, a := range attrs {
				files = append(files, sysEntry{name: a.Name, text: a.Value})
			}
			return files
		}})
	}
	return out
}

// sysFile is an attribute: read-only, 4096 bytes long as stat sees it
// (sysfs gives every attribute a page), its text as read at lookup.
type sysFile struct {
	fs   *sysFS
	path string
	text string
}

func (f *sysFile) Attr() Attr {
	now := Now()
	return Attr{Dev: f.fs.dev, Ino: sysIno(f.path), Mode: S_IFREG | 0o444, Nlink: 1, Size: 4096, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}
}

// Open implements Opener.
func (f *sysFile) Open(_ Ctx, flags uint32) (FileOps, error) {
	if flags&O_ACCMODE != O_RDONLY {
		return nil, linuxerr.EACCES
	}
	text := []byte(f.text)
	return &procOps{f: &procFile{content: func() ([]byte, error) { return text, nil }}}, nil
}
