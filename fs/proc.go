package fs

import (
	"strconv"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// ProcessInfo is what /proc shows of a process.
type ProcessInfo interface {
	// Exe is the path of the executable (/proc/PID/exe).
	Exe() string
	// Cmdline is the NUL-separated argument list (/proc/PID/cmdline).
	Cmdline() []byte
	// Maps is the text of /proc/PID/maps.
	Maps() string
}

// ProcSource finds processes for /proc.
type ProcSource interface {
	Process(pid int32) (ProcessInfo, bool)
	PIDs() []int32
}

const procDev = 3

// ProcDir is /proc: a directory per process and the "self" link, generated
// when looked up, in the spirit of Linux's procfs (fs/proc/). Only a few
// files exist yet: exe, cmdline, maps.
type ProcDir struct {
	attr   Attr
	parent Dir
	src    ProcSource
	root   *Root // the mount tree, for mounts and mountinfo (mount.go)
}

// NewProcDir makes /proc under parent (nil: the root of a procfs).
func NewProcDir(parent Dir, src ProcSource) *ProcDir {
	now := Now()
	p := &ProcDir{attr: Attr{Dev: procDev, Ino: NewIno(), Mode: S_IFDIR | 0o555, Nlink: 2, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}, parent: parent, src: src}
	if parent == nil {
		p.parent = p
	}
	return p
}

// Attr implements Inode.
func (p *ProcDir) Attr() Attr { return p.attr }

// Parent implements Dir.
func (p *ProcDir) Parent() Dir { return p.parent }

// Lookup implements Dir.
func (p *ProcDir) Lookup(c Ctx, name string) (Inode, error) {
	if n := p.mountFile(name, 0); n != nil {
		return n, nil
	}
	if name == "self" {
		return &procLink{ino: p.attr.Ino + 1, target: func() (string, error) { return strconv.Itoa(int(c.PID())), nil }}, nil
	}
	pid, err := strconv.Atoi(name)
	if err != nil || pid <= 0 {
		return nil, linuxerr.ENOENT
	}
	if _, ok := p.src.Process(int32(pid)); !ok {
		return nil, linuxerr.ENOENT
	}
	return &procPIDDir{parent: p, pid: int32(pid), src: p.src}, nil
}

// ReadDir implements Dir.
func (p *ProcDir) ReadDir() ([]Dirent, error) {
	out := append([]Dirent{{Name: "self", Ino: p.attr.Ino + 1, DType: DT_LNK}}, p.mountFiles()...)
	for _, pid := range p.src.PIDs() {
		out = append(out, Dirent{Name: strconv.Itoa(int(pid)), Ino: procIno(pid, 0), DType: DT_DIR})
	}
	return out, nil
}

func procIno(pid int32, file int) uint64 { return 1<<32 | uint64(pid)<<8 | uint64(file) }

type procPIDDir struct {
	parent *ProcDir
	pid    int32
	src    ProcSource
}

func (d *procPIDDir) Attr() Attr {
	a := d.parent.attr
	a.Ino = procIno(d.pid, 0)
	return a
}

func (d *procPIDDir) Parent() Dir { return d.parent }

var procFiles = []string{"cmdline", "exe", "maps"}

func (d *procPIDDir) Lookup(_ Ctx, name string) (Inode, error) {
	proc, ok := d.src.Process(d.pid)
	if !ok {
		return nil, linuxerr.ESRCH
	}
	switch name {
	case "exe":
		return &procLink{ino: procIno(d.pid, 1), target: func() (string, error) { return proc.Exe(), nil }}, nil
	case "cmdline":
		return &procFile{ino: procIno(d.pid, 2), content: proc.Cmdline}, nil
	case "maps":
		return &procFile{ino: procIno(d.pid, 3), content: func() []byte { return []byte(proc.Maps()) }}, nil
	}
	if n := d.parent.mountFile(name, d.pid); n != nil {
		return n, nil
	}
	return nil, linuxerr.ENOENT
}

func (d *procPIDDir) ReadDir() ([]Dirent, error) {
	return []Dirent{
		{Name: "cmdline", Ino: procIno(d.pid, 2), DType: DT_REG},
		{Name: "exe", Ino: procIno(d.pid, 1), DType: DT_LNK},
		{Name: "maps", Ino: procIno(d.pid, 3), DType: DT_REG},
	}, nil
}

// procLink is a symlink whose target is computed when read.
type procLink struct {
	ino    uint64
	target func() (string, error)
}

func (l *procLink) Attr() Attr {
	now := Now()
	return Attr{Dev: procDev, Ino: l.ino, Mode: S_IFLNK | 0o777, Nlink: 1, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}
}

func (l *procLink) Target() string {
	t, _ := l.target()
	return t
}

// procFile is a read-only file whose content is generated at open.
type procFile struct {
	ino     uint64
	content func() []byte
}

func (f *procFile) Attr() Attr {
	now := Now()
	return Attr{Dev: procDev, Ino: f.ino, Mode: S_IFREG | 0o444, Nlink: 1, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}
}

func (f *procFile) Open(_ Ctx, flags uint32) (FileOps, error) {
	if flags&O_ACCMODE != O_RDONLY {
		return nil, linuxerr.EACCES
	}
	return &snapshotOps{data: f.content()}, nil
}

// snapshotOps reads a fixed byte slice, with a file position.
type snapshotOps struct{ data []byte }

func (s *snapshotOps) Read(_ Ctx, _ *File, p []byte, off int64) (int, error) {
	if off >= int64(len(s.data)) {
		return 0, nil
	}
	return copy(p, s.data[off:]), nil
}

func (s *snapshotOps) Write(Ctx, *File, []byte, int64) (int, error) { return 0, linuxerr.EBADF }
