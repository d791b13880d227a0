package fs

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// ProcessInfo is what /proc shows of a process (a thread group); the
// kernel implements it. Methods taking a tid describe one of the
// process's threads.
type ProcessInfo interface {
	// Exe is the path of the executable (/proc/PID/exe).
	Exe() string
	// Cmdline and Environ are the NUL-separated argument and
	// environment strings (empty once the process has exited).
	Cmdline() []byte
	Environ() []byte
	// Maps is the text of /proc/PID/maps.
	Maps() string
	// WorkingDir is the working directory and its path (nil once the
	// process has exited).
	WorkingDir() (Path, string)
	// FDs is the descriptor table (nil once the process has exited).
	FDs() *FDTable
	// TIDs lists the threads in order: the live ones, or the leader
	// alone for a zombie.
	TIDs() []int32
	// Task describes thread tid, or with whole the process as a whole
	// (times, faults and the like summed over its threads, as
	// /proc/PID/stat reports them). ok is false if tid is not one of the
	// process's threads.
	Task(tid int32, whole bool) (info TaskInfo, ok bool)
	// SetComm names thread tid (a write to /proc/PID/comm).
	SetComm(tid int32, name string) error
	// Limits are the resource limits, soft and hard (/proc/PID/limits).
	Limits() [][2]uint64
	// Owner is who owns the process's files: its effective user and
	// group (task_dump_owner).
	Owner() (uid, gid uint32)
}

// ProcSource finds processes for /proc and reports the system-wide state
// its top-level files show.
type ProcSource interface {
	// Process finds a process (zombies included).
	Process(pid int32) (ProcessInfo, bool)
	// ThreadGroup returns the process a live thread belongs to.
	ThreadGroup(tid int32) (pid int32, ok bool)
	// PIDs lists the processes in order.
	PIDs() []int32
	SystemInfo
}

const procDev = 3

// ProcDir is /proc, in the spirit of Linux's procfs (fs/proc/): a
// directory per process, generated when looked up, the "self" and
// "thread-self" links, and the system-wide files of procRootTable
// (meminfo, cpuinfo, stat, ...; see proc_sys.go), which other parts of
// the file system add to with registerProcRoot.
type ProcDir struct {
	attr   Attr
	parent Dir
	src    ProcSource
	root   *Root // the mount tree, for mounts and mountinfo (mount.go)
}

// NewProcDir makes /proc under parent (nil: the root of a procfs).
func NewProcDir(parent Dir, src ProcSource) *ProcDir {
	now := Now()
	p := &ProcDir{attr: Attr{Dev: procDev, Ino: 1, Mode: S_IFDIR | 0o555, Nlink: 2, Blksize: 1024, Atime: now, Mtime: now, Ctime: now}, parent: parent, src: src}
	if parent == nil {
		p.parent = p
	}
	return p
}

// procRootEntry is one of /proc's own entries: make returns its inode
// (ino is the entry's fixed inode number).
type procRootEntry struct {
	name  string
	ino   uint64
	dtype uint8
	make  func(p *ProcDir, c Ctx, ino uint64) Inode
}

var (
	procRootMu sync.Mutex
	// procRootTable is kept in the order Linux lists /proc's entries:
	// by the length of the name, then by the name (proc_match orders
	// procfs's rbtree so).
	procRootTable []procRootEntry
)

// registerProcRoot adds an entry to /proc's top level. Each file of the
// package that provides some of /proc's files registers them from an
// init function.
func registerProcRoot(name string, dtype uint8, make func(p *ProcDir, c Ctx, ino uint64) Inode) {
	procRootMu.Lock()
	defer procRootMu.Unlock()
	e := procRootEntry{name: name, ino: NewIno(), dtype: dtype, make: make}
	i, found := slices.BinarySearchFunc(procRootTable, name, func(e procRootEntry, n string) int { return procMatch(e.name, n) })
	if found {
		panic("fs: /proc/" + name + " registered twice")
	}
	procRootTable = slices.Insert(procRootTable, i, e)
}

// procMatch orders the names of a procfs directory as Linux lists them
// (proc_match): by length, then by their bytes.
func procMatch(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func procRootEntries() []procRootEntry {
	procRootMu.Lock()
	defer procRootMu.Unlock()
	return procRootTable
}

// threadIDer is implemented by callers that know their thread's ID (for
// /proc/thread-self).
type threadIDer interface{ ThreadID() int32 }

// The inode numbers of /proc/self and /proc/thread-self.
var procSelfIno, procThreadSelfIno = NewIno(), NewIno()

// selfLink is /proc/self (thread false) or /proc/thread-self: the
// caller's process directory, or its thread's.
func selfLink(c Ctx, thread bool) *procLink {
	ino := procSelfIno
	if thread {
		ino = procThreadSelfIno
	}
	return &procLink{ino: ino, mode: 0o777, target: func() (string, error) {
		if c == nil {
			return "", linuxerr.ENOENT
		}
		pid := strconv.Itoa(int(c.PID()))
		if !thread {
			return pid, nil
		}
		tid := c.PID()
		if t, ok := c.(threadIDer); ok {
			tid = t.ThreadID()
		}
		return pid + "/task/" + strconv.Itoa(int(tid)), nil
	}}
}

// Attr implements Inode: a link for each directory in it, as
// proc_root_getattr counts them.
func (p *ProcDir) Attr() Attr {
	a := p.attr
	for _, e := range procRootEntries() {
		if e.dtype == DT_DIR {
			a.Nlink++
		}
	}
	a.Nlink += uint32(len(p.src.PIDs()))
	return a
}

// Parent implements Dir.
func (p *ProcDir) Parent() Dir { return p.parent }

// Lookup implements Dir. A thread's ID finds it too, though only
// processes are listed (proc_pid_lookup).
func (p *ProcDir) Lookup(c Ctx, name string) (Inode, error) {
	switch name {
	case "self":
		return selfLink(c, false), nil
	case "thread-self":
		return selfLink(c, true), nil
	}
	for _, e := range procRootEntries() {
		if e.name == name {
			return e.make(p, c, e.ino), nil
		}
	}
	tid, ok := parsePID(name)
	if !ok {
		return nil, linuxerr.ENOENT
	}
	if _, ok := p.src.Process(tid); ok {
		return p.pidDir(tid, tid, p, false), nil
	}
	if pid, ok := p.src.ThreadGroup(tid); ok {
		return p.pidDir(pid, tid, p, false), nil
	}
	return nil, linuxerr.ENOENT
}

// parsePID parses a directory name that is a process or thread ID.
func parsePID(name string) (int32, bool) {
	if name == "" || name[0] < '1' || name[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(name, 10, 32)
	return int32(n), err == nil && n > 0
}

// ReadDir implements Dir: the fixed entries, then self and thread-self,
// then the processes in order (proc_root_readdir).
func (p *ProcDir) ReadDir() ([]Dirent, error) {
	var out []Dirent
	for _, e := range procRootEntries() {
		out = append(out, Dirent{Name: e.name, Ino: e.ino, DType: e.dtype})
	}
	out = append(out, Dirent{Name: "self", Ino: procSelfIno, DType: DT_LNK}, Dirent{Name: "thread-self", Ino: procThreadSelfIno, DType: DT_LNK})
	for _, pid := range p.src.PIDs() {
		out = append(out, Dirent{Name: strconv.Itoa(int(pid)), Ino: procIno(pid, pid, 0), DType: DT_DIR})
	}
	return out, nil
}

// procIno numbers the inodes under /proc/PID: pid and tid below 2^22
// (pid_max), file the entry's index (or a descriptor for fd and fdinfo).
func procIno(pid, tid int32, file int) uint64 {
	return 1<<62 | uint64(pid)<<38 | uint64(tid)<<16 | uint64(file)&0xffff
}

// procFDIno numbers /proc/PID/fd/N (info false) and fdinfo/N.
func procFDIno(pid, tid int32, fd int32, info bool) uint64 {
	k := uint64(1)
	if info {
		k = 2
	}
	return k<<60 | uint64(pid)<<38 | uint64(tid)<<16 ^ uint64(fd)<<1
}

// procPIDDir is /proc/PID (thread false) or /proc/PID/task/TID: the
// files that describe process pid, as seen from its thread tid.
type procPIDDir struct {
	parent Dir
	root   *ProcDir
	pid    int32
	tid    int32
	thread bool
}

func (p *ProcDir) pidDir(pid, tid int32, parent Dir, thread bool) *procPIDDir {
	return &procPIDDir{parent: parent, root: p, pid: pid, tid: tid, thread: thread}
}

func (d *procPIDDir) proc() (ProcessInfo, bool) { return d.root.src.Process(d.pid) }

// owner returns the owner of the process's files: its effective IDs
// (task_dump_owner).
func (d *procPIDDir) owner() (uid, gid uint32) {
	if p, ok := d.proc(); ok {
		return p.Owner()
	}
	return 0, 0
}

func (d *procPIDDir) Attr() Attr {
	a := d.root.attr
	a.Ino = procIno(d.pid, d.tid, 0)
	a.Mode = S_IFDIR | 0o555
	a.Nlink = 2 + uint32(len(procPIDSubdirs(d.thread)))
	a.UID, a.GID = d.owner()
	return a
}

func (d *procPIDDir) Parent() Dir { return d.parent }

// procPIDEntry is a file of /proc/PID, in the order of Linux's
// tgid_base_stuff (and tid_base_stuff, which lacks "task").
type procPIDEntry struct {
	name  string
	mode  uint32 // type and permission bits
	tgid  bool   // in /proc/PID only
	make  func(d *procPIDDir, ino uint64) Inode
	dtype uint8
}

var procPIDTable = []procPIDEntry{
	{name: "task", mode: S_IFDIR | 0o555, tgid: true, make: func(d *procPIDDir, ino uint64) Inode { return &procTaskDir{d: d} }},
	{name: "fd", mode: S_IFDIR | 0o500, make: func(d *procPIDDir, ino uint64) Inode { return &procFDDir{d: d, ino: ino} }},
	{name: "fdinfo", mode: S_IFDIR | 0o500, make: func(d *procPIDDir, ino uint64) Inode { return &procFDDir{d: d, ino: ino, info: true} }},
	{name: "net", mode: S_IFDIR | 0o555, make: func(d *procPIDDir, ino uint64) Inode { return &procNetDir{d: d, ino: ino} }},
	{name: "environ", mode: S_IFREG | 0o400, make: procContent(func(p ProcessInfo, _ *procPIDDir) []byte { return p.Environ() })},
	{name: "status", mode: S_IFREG | 0o444, make: procTaskContent(formatStatus)},
	{name: "limits", mode: S_IFREG | 0o444, make: procContent(func(p ProcessInfo, _ *procPIDDir) []byte { return formatLimits(p.Limits()) })},
	{name: "comm", mode: S_IFREG | 0o644, make: makeCommFile},
	{name: "cmdline", mode: S_IFREG | 0o444, make: procContent(func(p ProcessInfo, _ *procPIDDir) []byte { return p.Cmdline() })},
	{name: "stat", mode: S_IFREG | 0o444, make: procTaskContent(formatStat)},
	{name: "statm", mode: S_IFREG | 0o444, make: procTaskContent(func(t *TaskInfo) []byte { return formatStatm(t.Mem) })},
	{name: "maps", mode: S_IFREG | 0o444, make: procContent(func(p ProcessInfo, _ *procPIDDir) []byte { return []byte(p.Maps()) })},
	{name: "cwd", mode: S_IFLNK | 0o777, make: func(d *procPIDDir, ino uint64) Inode {
		return &procLink{ino: ino, mode: 0o777, uid: d, target: func() (string, error) {
			p, ok := d.proc()
			if !ok {
				return "", linuxerr.ENOENT
			}
			if dir, path := p.WorkingDir(); dir.Node != nil {
				return path, nil
			}
			return "", linuxerr.ENOENT
		}, follow: func() (Path, error) {
			if p, ok := d.proc(); ok {
				if dir, _ := p.WorkingDir(); dir.Node != nil {
					return dir, nil
				}
			}
			return Path{}, linuxerr.ENOENT
		}}
	}},
	{name: "root", mode: S_IFLNK | 0o777, make: func(d *procPIDDir, ino uint64) Inode {
		return &procLink{ino: ino, mode: 0o777, uid: d, target: func() (string, error) { return "/", nil },
			follow: func() (Path, error) { return d.root.rootPath(), nil }}
	}},
	{name: "exe", mode: S_IFLNK | 0o777, make: func(d *procPIDDir, ino uint64) Inode {
		return &procLink{ino: ino, mode: 0o777, uid: d, target: func() (string, error) {
			p, ok := d.proc()
			if !ok || p.Exe() == "" {
				return "", linuxerr.ENOENT
			}
			return p.Exe(), nil
		}}
	}},
	{name: "mounts", mode: S_IFREG | 0o444, make: procContent(func(_ ProcessInfo, d *procPIDDir) []byte { return d.root.mountsText(false) })},
	{name: "mountinfo", mode: S_IFREG | 0o444, make: procContent(func(_ ProcessInfo, d *procPIDDir) []byte { return d.root.mountsText(true) })},
}

func init() {
	for i := range procPIDTable {
		procPIDTable[i].dtype = DTypeOf(procPIDTable[i].mode)
	}
}

// procPIDSubdirs are the directories among a /proc/PID's entries.
func procPIDSubdirs(thread bool) []string {
	var out []string
	for _, e := range procPIDTable {
		if e.mode&S_IFMT == S_IFDIR && !(thread && e.tgid) {
			out = append(out, e.name)
		}
	}
	return out
}

// rootPath is where /proc/PID/root leads: the root of the mount tree
// this procfs shows (/ of the file system when it is mounted there).
func (p *ProcDir) rootPath() Path {
	if p.root != nil {
		return p.root.Top()
	}
	return Path{Node: p}
}

func (d *procPIDDir) Lookup(_ Ctx, name string) (Inode, error) {
	p, ok := d.proc()
	if !ok {
		return nil, linuxerr.ENOENT
	}
	if d.thread && !slices.Contains(p.TIDs(), d.tid) {
		return nil, linuxerr.ENOENT // the thread has exited
	}
	for i, e := range procPIDTable {
		if e.name == name && !(d.thread && e.tgid) {
			n := e.make(d, procIno(d.pid, d.tid, i+1))
			if f, ok := n.(*procFile); ok {
				f.mode = e.mode &^ S_IFMT
			}
			return n, nil
		}
	}
	return nil, linuxerr.ENOENT
}

func (d *procPIDDir) ReadDir() ([]Dirent, error) {
	var out []Dirent
	for i, e := range procPIDTable {
		if !(d.thread && e.tgid) {
			out = append(out, Dirent{Name: e.name, Ino: procIno(d.pid, d.tid, i+1), DType: e.dtype})
		}
	}
	return out, nil
}

// procContent makes a read-only file of the process whose text content
// makes, when read from its start.
func procContent(content func(p ProcessInfo, d *procPIDDir) []byte) func(d *procPIDDir, ino uint64) Inode {
	return procContentErr(func(p ProcessInfo, d *procPIDDir) ([]byte, error) { return content(p, d), nil })
}

// procTaskContent makes a read-only file formatted from the description
// of the directory's task: of the process as a whole in /proc/PID, of
// the thread in /proc/PID/task/TID.
func procTaskContent(format func(t *TaskInfo) []byte) func(d *procPIDDir, ino uint64) Inode {
	return procContentErr(func(p ProcessInfo, d *procPIDDir) ([]byte, error) {
		t, ok := p.Task(d.tid, !d.thread)
		if !ok {
			return nil, linuxerr.ESRCH
		}
		return format(&t), nil
	})
}

// procContentErr is procContent for content that may fail.
func procContentErr(content func(p ProcessInfo, d *procPIDDir) ([]byte, error)) func(d *procPIDDir, ino uint64) Inode {
	return func(d *procPIDDir, ino uint64) Inode {
		return &procFile{ino: ino, mode: 0o444, owner: d, content: func() ([]byte, error) {
			p, ok := d.proc()
			if !ok {
				return nil, linuxerr.ESRCH
			}
			return content(p, d)
		}}
	}
}

// makeCommFile makes /proc/PID/comm: the thread's name, which a write
// from the process itself changes (comm_write: the first 15 bytes).
func makeCommFile(d *procPIDDir, ino uint64) Inode {
	f := procTaskContent(func(t *TaskInfo) []byte { return []byte(t.Comm + "\n") })(d, ino).(*procFile)
	f.write = func(c Ctx, b []byte, _ int64) (int, error) {
		p, ok := d.proc()
		if !ok {
			return 0, linuxerr.ESRCH
		}
		if c.PID() != d.pid {
			return 0, linuxerr.EINVAL // only the thread group's own (comm_write)
		}
		// The bytes as written, a newline included (comm_write); a NUL
		// ends the name.
		name := b[:min(len(b), 15)]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if err := p.SetComm(d.tid, string(name)); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return f
}

// procTaskDir is /proc/PID/task: a directory per thread.
type procTaskDir struct{ d *procPIDDir }

func (t *procTaskDir) Attr() Attr {
	a := t.d.Attr()
	a.Ino = procIno(t.d.pid, t.d.tid, 1)
	a.Nlink = 2
	if p, ok := t.d.proc(); ok {
		a.Nlink += uint32(len(p.TIDs()))
	}
	return a
}

func (t *procTaskDir) Parent() Dir { return t.d }

func (t *procTaskDir) Lookup(_ Ctx, name string) (Inode, error) {
	tid, ok := parsePID(name)
	if !ok {
		return nil, linuxerr.ENOENT
	}
	p, ok := t.d.proc()
	if !ok || !slices.Contains(p.TIDs(), tid) {
		return nil, linuxerr.ENOENT
	}
	return t.d.root.pidDir(t.d.pid, tid, t, true), nil
}

func (t *procTaskDir) ReadDir() ([]Dirent, error) {
	p, ok := t.d.proc()
	if !ok {
		return nil, linuxerr.ENOENT
	}
	var out []Dirent
	for _, tid := range p.TIDs() {
		out = append(out, Dirent{Name: strconv.Itoa(int(tid)), Ino: procIno(t.d.pid, tid, 0), DType: DT_DIR})
	}
	return out, nil
}

// procFDDir is /proc/PID/fd (a link per descriptor, to what it is open
// on) or /proc/PID/fdinfo (a file per descriptor: position, flags).
type procFDDir struct {
	d    *procPIDDir
	ino  uint64
	info bool
}

// Attr implements Inode. The size of fd is the number of descriptors
// open (proc_fd_getattr).
func (f *procFDDir) Attr() Attr {
	a := f.d.Attr()
	a.Ino = f.ino
	a.Mode = S_IFDIR | 0o500
	a.Nlink = 2
	if t, err := f.table(); err == nil && !f.info {
		for _, e := range t.List() {
			a.Size++
			e.File.DecRef()
		}
	}
	return a
}

func (f *procFDDir) Parent() Dir { return f.d }

func (f *procFDDir) table() (*FDTable, error) {
	p, ok := f.d.proc()
	if !ok {
		return nil, linuxerr.ENOENT
	}
	t := p.FDs()
	if t == nil {
		return nil, linuxerr.ENOENT
	}
	return t, nil
}

func (f *procFDDir) Lookup(_ Ctx, name string) (Inode, error) {
	fd, err := strconv.ParseInt(name, 10, 32)
	if err != nil || fd < 0 || strconv.Itoa(int(fd)) != name {
		return nil, linuxerr.ENOENT
	}
	t, err := f.table()
	if err != nil {
		return nil, err
	}
	e, ok := t.Entry(int32(fd))
	if !ok {
		return nil, linuxerr.ENOENT
	}
	defer e.File.DecRef()
	ino := procFDIno(f.d.pid, f.d.tid, int32(fd), f.info)
	if f.info {
		text := []byte(formatFDInfo(e))
		return &procFile{ino: ino, mode: 0o444, owner: f.d, content: func() ([]byte, error) { return text, nil }}, nil
	}
	return fdLink(f.d, ino, e.File), nil
}

// fdLink is /proc/PID/fd/N: a link whose mode says how the file is open
// (proc_fd_instantiate) and which, followed, leads to the file itself.
func fdLink(d *procPIDDir, ino uint64, file *File) *procLink {
	var mode uint32
	if file.Flags()&O_PATH == 0 {
		switch file.Flags() & O_ACCMODE {
		case O_RDONLY:
			mode = 0o500
		case O_WRONLY:
			mode = 0o300
		case O_RDWR:
			mode = 0o700
		}
	}
	path := FilePath(file)
	obj := Path{file.Mnt, file.Inode}
	return &procLink{ino: ino, mode: mode, uid: d, size: 64, // proc_fd_instantiate's i_size
		target: func() (string, error) { return path, nil },
		follow: func() (Path, error) { return obj, nil }}
}

// FilePath is what /proc/PID/fd/N shows for an open file (d_path): its
// path, marked " (deleted)" once it has no name left, or the
// "type:[inode]" of a pipe or an anonymous file.
func FilePath(f *File) string {
	if len(f.Path) > 0 && f.Path[0] == '/' {
		if a := f.Inode.Attr(); a.Nlink == 0 && a.Mode&S_IFMT != S_IFDIR {
			return f.Path + " (deleted)"
		}
	}
	return f.Path
}

func (f *procFDDir) ReadDir() ([]Dirent, error) {
	t, err := f.table()
	if err != nil {
		return nil, err
	}
	var out []Dirent
	for _, e := range t.List() {
		dt := uint8(DT_LNK)
		if f.info {
			dt = DT_REG
		}
		out = append(out, Dirent{Name: strconv.Itoa(int(e.FD)), Ino: procFDIno(f.d.pid, f.d.tid, e.FD, f.info), DType: dt})
		e.File.DecRef()
	}
	return out, nil
}

// procLink is a symlink whose target is computed when read. Following
// one (a "magic link" in Linux's terms) leads to the object itself when
// follow is set, not to whatever its path names now.
type procLink struct {
	ino    uint64
	mode   uint32
	size   int64
	uid    *procPIDDir // owner: the process (nil: root)
	target func() (string, error)
	follow func() (Path, error)
}

func (l *procLink) Attr() Attr {
	now := Now()
	a := Attr{Dev: procDev, Ino: l.ino, Mode: S_IFLNK | l.mode, Nlink: 1, Size: l.size, Blksize: 1024, Atime: now, Mtime: now, Ctime: now}
	if l.uid != nil {
		a.UID, a.GID = l.uid.owner()
	}
	return a
}

func (l *procLink) Target() string {
	t, _ := l.target()
	return t
}

// ReadLink implements LinkReader.
func (l *procLink) ReadLink() (string, error) { return l.target() }

// LinkReader is implemented by symbolic links whose target may be
// unavailable: /proc/PID/exe and cwd of a process that has exited.
type LinkReader interface {
	ReadLink() (string, error)
}

// ReadLink returns the target of l (readlink(2)), or the error that
// makes it unreadable.
func ReadLink(l Symlink) (string, error) {
	if r, ok := l.(LinkReader); ok {
		return r.ReadLink()
	}
	return l.Target(), nil
}

// Follow implements MagicLink.
func (l *procLink) Follow() (Path, error) {
	if l.follow == nil {
		return Path{}, nil
	}
	return l.follow()
}

// MagicLink is a symbolic link that path resolution follows to an object
// directly (Linux's nd_jump_link): /proc/PID/fd/N, cwd, root. Follow
// returns an empty Path (no error) when the link is to be followed by its target
// path instead.
type MagicLink interface {
	Symlink
	Follow() (Path, error)
}

// procFile is a file whose content is generated when it is read from its
// start (as a seq_file is), optionally writable.
type procFile struct {
	ino     uint64
	mode    uint32
	owner   *procPIDDir // nil: root's
	content func() ([]byte, error)
	write   func(c Ctx, b []byte, off int64) (int, error)
	// sysctl marks a /proc/sys file, which takes pwrite; the others are
	// seq_files, which do not.
	sysctl bool
}

func (f *procFile) Attr() Attr {
	now := Now()
	a := Attr{Dev: procDev, Ino: f.ino, Mode: S_IFREG | f.mode, Nlink: 1, Blksize: 1024, Atime: now, Mtime: now, Ctime: now}
	if f.owner != nil {
		a.UID, a.GID = f.owner.owner()
	}
	return a
}

// Open implements Opener: writing needs a write function and a mode that
// allows it (root passes the owner's bits, as proc_sys's test_perm).
func (f *procFile) Open(_ Ctx, flags uint32) (FileOps, error) {
	if flags&O_ACCMODE != O_RDONLY && (f.write == nil || f.mode&0o200 == 0) {
		return nil, linuxerr.EACCES
	}
	if flags&O_ACCMODE != O_WRONLY && (f.content == nil || f.mode&0o400 == 0) {
		return nil, linuxerr.EACCES // a write-only sysctl (drop_caches)
	}
	return &procOps{f: f}, nil
}

// procOps reads a procFile: the text is made afresh by a read at offset
// 0 and kept for the reads that follow (seq_read).
type procOps struct {
	f    *procFile
	mu   sync.Mutex
	data []byte
	made bool
}

func (s *procOps) Read(_ Ctx, _ *File, p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if off == 0 || !s.made {
		d, err := s.f.content()
		if err != nil {
			return 0, err
		}
		s.data, s.made = d, true
	}
	if off >= int64(len(s.data)) {
		return 0, nil
	}
	return copy(p, s.data[off:]), nil
}

// NoPwrite implements NoPwriter.
func (s *procOps) NoPwrite() bool { return !s.f.sysctl }

func (s *procOps) Write(c Ctx, _ *File, p []byte, off int64) (int, error) {
	if s.f.write == nil {
		return 0, linuxerr.EBADF
	}
	return s.f.write(c, p, off)
}

// procStaticDir is a directory of /proc with fixed entries (/proc/sys and
// its subdirectories).
type procStaticDir struct {
	ino     uint64
	parent  Dir
	entries []procStaticEntry
}

type procStaticEntry struct {
	name string
	ino  uint64
	make func(parent *procStaticDir, ino uint64) Inode
	dt   uint8
}

func (d *procStaticDir) Attr() Attr {
	now := Now()
	n := uint32(2)
	for _, e := range d.entries {
		if e.dt == DT_DIR {
			n++
		}
	}
	return Attr{Dev: procDev, Ino: d.ino, Mode: S_IFDIR | 0o555, Nlink: n, Blksize: 1024, Atime: now, Mtime: now, Ctime: now}
}

func (d *procStaticDir) Parent() Dir { return d.parent }

func (d *procStaticDir) Lookup(_ Ctx, name string) (Inode, error) {
	for _, e := range d.entries {
		if e.name == name {
			return e.make(d, e.ino), nil
		}
	}
	return nil, linuxerr.ENOENT
}

func (d *procStaticDir) ReadDir() ([]Dirent, error) {
	out := make([]Dirent, len(d.entries))
	for i, e := range d.entries {
		out[i] = Dirent{Name: e.name, Ino: e.ino, DType: e.dt}
	}
	return out, nil
}
