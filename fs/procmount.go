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

// mountsText is /proc/PID/mounts (or, with info, mountinfo): the mount
// tree this procfs shows.
func (p *ProcDir) mountsText(info bool) []byte {
	if p.root == nil {
		return nil
	}
	if info {
		return []byte(p.root.MountInfo())
	}
	return []byte(p.root.Mounts())
}

func init() {
	// /proc/mounts is a link to self/mounts (proc_symlink in
	// proc_self_init's neighbour, fs/proc/root.c); /proc/filesystems
	// lists the file system types.
	registerProcRoot("mounts", DT_LNK, func(p *ProcDir, _ Ctx, ino uint64) Inode {
		return &procLink{ino: ino, mode: 0o777, target: func() (string, error) { return "self/mounts", nil }}
	})
	registerProcRoot("filesystems", DT_REG, func(p *ProcDir, _ Ctx, ino uint64) Inode {
		return &procFile{ino: ino, mode: 0o444, content: func() ([]byte, error) { return []byte(Filesystems()), nil }}
	})
}
