package fs

import (
	"strings"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// procfs as a FileSystem, and the files of /proc that show the mount tree
// (kept apart from proc.go, which shows processes).

// procFS is a mount of /proc.
type procFS struct {
	dir *ProcDir
	dev uint64
}

// RootDir implements FileSystem.
func (p *procFS) RootDir() Dir { return p.dir }

// Statfs implements FileSystem: procfs reports no sizes.
func (p *procFS) Statfs(s *Statfs) {}

// ShowOptions implements FileSystem.
func (p *procFS) ShowOptions() string { return "" }

// Reconfigure implements FileSystem: proc's options (hidepid=, gid=,
// subset=) are accepted and have no effect; others are EINVAL.
func (p *procFS) Reconfigure(opts []string) error {
	for _, o := range opts {
		key, _, _ := strings.Cut(o, "=")
		switch key {
		case "hidepid", "gid", "subset":
		default:
			return linuxerr.EINVAL
		}
	}
	return nil
}

// mountFile returns /proc's mounts, mountinfo and filesystems files, or
// /proc/PID's mounts and mountinfo when pid is set; nil for other names.
func (p *ProcDir) mountFile(name string, pid int32) Inode {
	if p.root == nil {
		return nil
	}
	ino := func(i uint64) uint64 {
		if pid != 0 {
			return procIno(pid, int(16+i))
		}
		return p.attr.Ino + 1 + i
	}
	switch name {
	case "mounts":
		return &procFile{ino: ino(1), content: func() []byte { return []byte(p.root.Mounts()) }}
	case "mountinfo":
		return &procFile{ino: ino(2), content: func() []byte { return []byte(p.root.MountInfo()) }}
	case "filesystems":
		if pid == 0 {
			return &procFile{ino: ino(3), content: func() []byte { return []byte(Filesystems()) }}
		}
	}
	return nil
}

// mountFiles lists /proc's files of mountFile.
func (p *ProcDir) mountFiles() []Dirent {
	if p.root == nil {
		return nil
	}
	return []Dirent{
		{Name: "mounts", Ino: p.attr.Ino + 2, DType: DT_REG},
		{Name: "mountinfo", Ino: p.attr.Ino + 3, DType: DT_REG},
		{Name: "filesystems", Ino: p.attr.Ino + 4, DType: DT_REG},
	}
}
