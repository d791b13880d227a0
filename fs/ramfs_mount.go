package fs

import (
	"strconv"
	"strings"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// RamFS as a FileSystem: what statfs and /proc/mounts show of it and the
// options mount(2) gives it.

// Statfs implements FileSystem: tmpfs's sizes come from its limits and
// what its files hold (the free inodes are the inode space left by the
// inodes and their extended attributes); ramfs has no limits and reports zeros
// (shmem_statfs, simple_statfs).
func (fs *RamFS) Statfs(s *Statfs) {
	s.Fsid = [2]int32{int32(fs.dev), int32(fs.dev >> 32)}
	if !fs.typ.tmpfs {
		return
	}
	fs.mu.Lock()
	maxPages, maxInos := fs.maxPages, fs.maxInos
	fs.mu.Unlock()
	used := max(fs.pages.Load(), 0)
	s.Blocks = uint64(maxPages)
	s.Bfree = uint64(max(maxPages-used, 0))
	s.Bavail = s.Bfree
	s.Files = uint64(maxInos)
	if maxInos != 0 {
		s.Ffree = uint64(max(fs.freeInodeSpace(fs.xattrBytes.Load()), 0) / bogoInodeSize)
	}
}

// RootDir implements FileSystem.
func (fs *RamFS) RootDir() Dir { return fs.root }

// ShowOptions implements FileSystem (shmem_show_options,
// ramfs_show_options). The boot root shows none ("rootfs / rootfs rw").
func (fs *RamFS) ShowOptions() string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var b strings.Builder
	if fs.typ == &rootfsType {
		return ""
	}
	if !fs.typ.tmpfs {
		if fs.opts.mode != 0o755 {
			b.WriteString(",mode=" + strconv.FormatUint(uint64(fs.opts.mode), 8))
		}
		return b.String()
	}
	if fs.opts.sizeSet {
		b.WriteString(",size=" + strconv.FormatInt(fs.maxPages*PageSize/1024, 10) + "k")
	}
	if fs.opts.inosSet {
		b.WriteString(",nr_inodes=" + strconv.FormatInt(fs.maxInos, 10))
	}
	if fs.opts.mode != 0o1777 {
		m := strconv.FormatUint(uint64(fs.opts.mode), 8)
		for len(m) < 3 {
			m = "0" + m
		}
		b.WriteString(",mode=" + m)
	}
	if fs.opts.uid != 0 {
		b.WriteString(",uid=" + strconv.FormatUint(uint64(fs.opts.uid), 10))
	}
	if fs.opts.gid != 0 {
		b.WriteString(",gid=" + strconv.FormatUint(uint64(fs.opts.gid), 10))
	}
	return b.String()
}

// Reconfigure implements FileSystem: a remount may change the limits, not
// the root's owner or mode.
func (fs *RamFS) Reconfigure(opts []string) error { return fs.configure(opts, false) }

// configure applies mount options: tmpfs takes size= (bytes with an
// optional k, m, g suffix, or a percentage of RAM), nr_blocks=,
// nr_inodes=, mode=, uid= and gid= and refuses anything else (EINVAL);
// ramfs takes mode= and ignores the rest, as Linux's does. A new file
// system's root gets the mode and owner they give.
func (fs *RamFS) configure(opts []string, initial bool) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	o := fs.opts
	maxPages, maxInos := fs.maxPages, fs.maxInos
	for _, opt := range opts {
		key, val, hasVal := strings.Cut(opt, "=")
		num := func() (uint64, error) {
			v, err := parseSize(val)
			if !hasVal || err != nil {
				return 0, linuxerr.EINVAL
			}
			return v, nil
		}
		switch {
		case key == "mode":
			v, err := strconv.ParseUint(val, 8, 32)
			if !hasVal || err != nil {
				if fs.typ.tmpfs {
					return linuxerr.EINVAL
				}
				continue
			}
			o.mode = uint32(v) & 0o7777
		case !fs.typ.tmpfs:
			// "We might like to report bad mount options here; but
			// traditionally ramfs has ignored all mount options."
		case key == "size":
			var pages uint64
			if strings.HasSuffix(val, "%") {
				pct, err := strconv.ParseUint(strings.TrimSuffix(val, "%"), 10, 32)
				if err != nil {
					return linuxerr.EINVAL
				}
				total, _ := memPages()
				pages = total * pct / 100
			} else {
				v, err := num()
				if err != nil {
					return err
				}
				pages = (v + PageSize - 1) / PageSize
			}
			maxPages, o.sizeSet = int64(pages), true
		case key == "nr_blocks":
			v, err := num()
			if err != nil {
				return err
			}
			maxPages, o.sizeSet = int64(v), true
		case key == "nr_inodes":
			v, err := num()
			if err != nil {
				return err
			}
			maxInos, o.inosSet = int64(v), true
		case key == "uid" || key == "gid":
			v, err := strconv.ParseUint(val, 10, 32)
			if !hasVal || err != nil {
				return linuxerr.EINVAL
			}
			if key == "uid" {
				o.uid = uint32(v)
			} else {
				o.gid = uint32(v)
			}
		case key == "huge" || key == "mpol" || key == "inode32" || key == "inode64" || key == "noswap":
		default:
			return linuxerr.EINVAL
		}
	}
	// A remount may not shrink tmpfs below what it holds.
	if fs.typ.tmpfs && maxPages > 0 && maxPages < fs.pages.Load() {
		return linuxerr.EINVAL
	}
	if initial {
		m := &fs.root.ramInode
		m.mu.Lock()
		m.attr.Mode = S_IFDIR | o.mode
		m.attr.UID, m.attr.GID = o.uid, o.gid
		m.mu.Unlock()
	} else {
		o.mode, o.uid, o.gid = fs.opts.mode, fs.opts.uid, fs.opts.gid
	}
	fs.opts, fs.maxPages, fs.maxInos = o, maxPages, maxInos
	return nil
}

// parseSize parses a number with an optional k, m, g, t, p or e suffix
// (memparse).
func parseSize(s string) (uint64, error) {
	shift := 0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		case 't', 'T':
			shift = 40
		case 'p', 'P':
			shift = 50
		case 'e', 'E':
			shift = 60
		}
		if shift != 0 {
			s = s[:n-1]
		}
	}
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0, err
	}
	return v << shift, nil
}
