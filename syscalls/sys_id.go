package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/task"
)

// User and group IDs (kernel/sys.c, kernel/groups.c) and process groups
// and sessions. The rules are the kernel package's (creds.go, pgrp.go).

// sysGetuid implements getuid(2).
func sysGetuid(t *task.Task, a *Args) (uintptr, error) { return uintptr(t.Proc.Creds().RUID), nil }

// sysGeteuid implements geteuid(2).
func sysGeteuid(t *task.Task, a *Args) (uintptr, error) { return uintptr(t.Proc.Creds().EUID), nil }

// sysGetgid implements getgid(2).
func sysGetgid(t *task.Task, a *Args) (uintptr, error) { return uintptr(t.Proc.Creds().RGID), nil }

// sysGetegid implements getegid(2).
func sysGetegid(t *task.Task, a *Args) (uintptr, error) { return uintptr(t.Proc.Creds().EGID), nil }

// sysSetuid implements setuid(2).
func sysSetuid(t *task.Task, a *Args) (uintptr, error) { return 0, t.Proc.SetUID(uint32(a[0])) }

// sysSetgid implements setgid(2).
func sysSetgid(t *task.Task, a *Args) (uintptr, error) { return 0, t.Proc.SetGID(uint32(a[0])) }

// sysSetreuid implements setreuid(2).
func sysSetreuid(t *task.Task, a *Args) (uintptr, error) {
	return 0, t.Proc.SetREUID(uint32(a[0]), uint32(a[1]))
}

// sysSetregid implements setregid(2).
func sysSetregid(t *task.Task, a *Args) (uintptr, error) {
	return 0, t.Proc.SetREGID(uint32(a[0]), uint32(a[1]))
}

// sysSetresuid implements setresuid(2).
func sysSetresuid(t *task.Task, a *Args) (uintptr, error) {
	return 0, t.Proc.SetRESUID(uint32(a[0]), uint32(a[1]), uint32(a[2]))
}

// sysSetresgid implements setresgid(2).
func sysSetresgid(t *task.Task, a *Args) (uintptr, error) {
	return 0, t.Proc.SetRESGID(uint32(a[0]), uint32(a[1]), uint32(a[2]))
}

// sysGetresuid implements getresuid(2).
func sysGetresuid(t *task.Task, a *Args) (uintptr, error) {
	c := t.Proc.Creds()
	return 0, copyOutIDs(t, [3]uintptr{a[0], a[1], a[2]}, [3]uint32{c.RUID, c.EUID, c.SUID})
}

// sysGetresgid implements getresgid(2).
func sysGetresgid(t *task.Task, a *Args) (uintptr, error) {
	c := t.Proc.Creds()
	return 0, copyOutIDs(t, [3]uintptr{a[0], a[1], a[2]}, [3]uint32{c.RGID, c.EGID, c.SGID})
}

func copyOutIDs(t *task.Task, addrs [3]uintptr, ids [3]uint32) error {
	for i := range addrs {
		if err := copyOutU32(t, addrs[i], ids[i]); err != nil {
			return err
		}
	}
	return nil
}

// sysSetfsuid implements setfsuid(2): it returns the old fs user ID.
func sysSetfsuid(t *task.Task, a *Args) (uintptr, error) {
	return uintptr(t.Proc.SetFSUID(uint32(a[0]))), nil
}

// sysSetfsgid implements setfsgid(2).
func sysSetfsgid(t *task.Task, a *Args) (uintptr, error) {
	return uintptr(t.Proc.SetFSGID(uint32(a[0]))), nil
}

// sysGetgroups implements getgroups(2): size 0 asks for the count.
func sysGetgroups(t *task.Task, a *Args) (uintptr, error) {
	size := int32(a[0])
	if size < 0 {
		return 0, linuxerr.EINVAL
	}
	g := t.Proc.Creds().Groups
	if size == 0 {
		return uintptr(len(g)), nil
	}
	if int(size) < len(g) {
		return 0, linuxerr.EINVAL
	}
	b := make([]byte, 4*len(g))
	for i, id := range g {
		putU32(b, 4*i, id)
	}
	return uintptr(len(g)), t.CopyOut(a[1], b)
}

// sysSetgroups implements setgroups(2).
func sysSetgroups(t *task.Task, a *Args) (uintptr, error) {
	n := int32(a[0])
	if n < 0 || n > 65536 {
		return 0, linuxerr.EINVAL
	}
	b := make([]byte, 4*int(n))
	if err := t.CopyIn(a[1], b); err != nil {
		return 0, err
	}
	g := make([]uint32, n)
	for i := range g {
		g[i] = uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24
	}
	return 0, t.Proc.SetGroups(g)
}

// sysSetpgid implements setpgid(2).
func sysSetpgid(t *task.Task, a *Args) (uintptr, error) {
	return 0, t.SetPGID(int32(a[0]), int32(a[1]))
}

// sysGetpgid implements getpgid(2).
func sysGetpgid(t *task.Task, a *Args) (uintptr, error) {
	pg, err := t.GetPGID(int32(a[0]))
	return uintptr(pg), err
}

// sysGetpgrp implements getpgrp(2).
func sysGetpgrp(t *task.Task, a *Args) (uintptr, error) {
	pg, err := t.GetPGID(0)
	return uintptr(pg), err
}

// sysSetsid implements setsid(2).
func sysSetsid(t *task.Task, a *Args) (uintptr, error) {
	sid, err := t.SetSID()
	return uintptr(sid), err
}

// sysGetsid implements getsid(2).
func sysGetsid(t *task.Task, a *Args) (uintptr, error) {
	sid, err := t.GetSID(int32(a[0]))
	return uintptr(sid), err
}

// Capability header versions (include/uapi/linux/capability.h).
const (
	capVersion1 = 0x19980330
	capVersion2 = 0x20071026
	capVersion3 = 0x20080522
)

// capHeader reads struct __user_cap_header_struct and returns how many
// 32-bit words each set has in the data, and the pid; an unknown version
// writes the preferred one back and is EINVAL (cap_validate_magic).
func capHeader(t *task.Task, addr uintptr) (words int, pid int32, err error) {
	var b [8]byte
	if err := t.CopyIn(addr, b[:]); err != nil {
		return 0, 0, err
	}
	switch binary.LittleEndian.Uint32(b[:]) {
	case capVersion1:
		words = 1
	case capVersion2, capVersion3:
		words = 2
	default:
		if err := copyOutU32(t, addr, capVersion3); err != nil {
			return 0, 0, err
		}
		return 0, 0, linuxerr.EINVAL
	}
	return words, int32(binary.LittleEndian.Uint32(b[4:])), nil
}

// sysCapget implements capget(2). A NULL data pointer only probes the
// version.
func sysCapget(t *task.Task, a *Args) (uintptr, error) {
	words, pid, err := capHeader(t, a[0])
	if err != nil || a[1] == 0 {
		return 0, err
	}
	p := t.Proc
	if pid < 0 {
		return 0, linuxerr.EINVAL
	}
	if pid != 0 && pid != p.PID {
		if p = task.ProcessByPID(pid); p == nil {
			return 0, linuxerr.ESRCH
		}
	}
	eff, prm, inh := p.Capget()
	b := make([]byte, 12*words)
	for i := 0; i < words; i++ {
		putU32(b, 12*i, uint32(eff>>(32*i)))
		putU32(b, 12*i+4, uint32(prm>>(32*i)))
		putU32(b, 12*i+8, uint32(inh>>(32*i)))
	}
	return 0, t.CopyOut(a[1], b)
}

// sysCapset implements capset(2): a process may only change its own sets.
func sysCapset(t *task.Task, a *Args) (uintptr, error) {
	words, pid, err := capHeader(t, a[0])
	if err != nil {
		return 0, err
	}
	if pid != 0 && pid != t.Proc.PID {
		return 0, linuxerr.EPERM
	}
	b := make([]byte, 12*words)
	if err := t.CopyIn(a[1], b); err != nil {
		return 0, err
	}
	var eff, prm, inh uint64
	for i := 0; i < words; i++ {
		eff |= uint64(binary.LittleEndian.Uint32(b[12*i:])) << (32 * i)
		prm |= uint64(binary.LittleEndian.Uint32(b[12*i+4:])) << (32 * i)
		inh |= uint64(binary.LittleEndian.Uint32(b[12*i+8:])) << (32 * i)
	}
	return 0, t.Proc.Capset(eff, prm, inh)
}
