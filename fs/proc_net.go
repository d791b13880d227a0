package fs

import (
	"slices"
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// /proc/PID/net and the /proc/net link to self/net (fs/proc/proc_net.c):
// the network's files, which the network stack provides (socket/inet
// registers dev, tcp, udp... with RegisterProcNet), since this package
// cannot see the stack. There is one network namespace, so every
// process's net directory shows the same files.

// procNetEntry is a file of /proc/PID/net.
type procNetEntry struct {
	name    string
	ino     uint64
	content func(c Ctx) []byte
}

var (
	procNetMu sync.Mutex
	// procNetTable is in the order Linux lists the directory: by the
	// length of the name, then by the name (proc_match).
	procNetTable []procNetEntry
	procNetIno   = NewIno() // the inode of /proc/net itself (the link)
)

// RegisterProcNet adds a file to /proc/PID/net (and so /proc/net):
// content makes its text when it is read from the start, for the
// reader c.
func RegisterProcNet(name string, content func(c Ctx) []byte) {
	procNetMu.Lock()
	defer procNetMu.Unlock()
	e := procNetEntry{name: name, ino: NewIno(), content: content}
	i, found := slices.BinarySearchFunc(procNetTable, name, func(e procNetEntry, n string) int { return procMatch(e.name, n) })
	if found {
		panic("fs: /proc/net/" + name + " registered twice")
	}
	procNetTable = slices.Insert(procNetTable, i, e)
}

func procNetEntries() []procNetEntry {
	procNetMu.Lock()
	defer procNetMu.Unlock()
	return procNetTable
}

func init() {
	// /proc/net is a link to self/net (proc_net_init's proc_symlink).
	registerProcRoot("net", DT_LNK, func(p *ProcDir, _ Ctx, ino uint64) Inode {
		return &procLink{ino: ino, mode: 0o777, target: func() (string, error) { return "self/net", nil }}
	})
}

// procNetDir is /proc/PID/net.
type procNetDir struct {
	d   *procPIDDir
	ino uint64
}

func (n *procNetDir) Attr() Attr {
	a := n.d.Attr()
	a.Ino = n.ino
	a.Mode = S_IFDIR | 0o555
	a.Nlink = 2
	a.UID, a.GID = 0, 0 // the namespace's owner: root
	return a
}

func (n *procNetDir) Parent() Dir { return n.d }

func (n *procNetDir) Lookup(c Ctx, name string) (Inode, error) {
	for _, e := range procNetEntries() {
		if e.name == name {
			content := e.content
			return &procFile{ino: e.ino, mode: 0o444, content: func() ([]byte, error) { return content(c), nil }}, nil
		}
	}
	return nil, linuxerr.ENOENT
}

func (n *procNetDir) ReadDir() ([]Dirent, error) {
	var out []Dirent
	for _, e := range procNetEntries() {
		out = append(out, Dirent{Name: e.name, Ino: e.ino, DType: DT_REG})
	}
	return out, nil
}
