package task

import (
	"slices"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Creds are a process's user and group IDs (struct cred): real,
// effective, saved and file-system IDs and the supplementary groups.
// Everything starts as root; the set*id calls follow Linux's rules
// (kernel/sys.c), where the privilege that lets a process set any ID
// (CAP_SETUID, CAP_SETGID) is held by effective user 0.
//
// Limits: the IDs are stored and reported (and given to new files); file
// permission checks still treat every caller as root, except those of
// extended attributes (fs.Caller).
type Creds struct {
	RUID, EUID, SUID, FSUID uint32
	RGID, EGID, SGID, FSGID uint32
	Groups                  []uint32
	// KeepCaps is PR_SET_KEEPCAPS's flag (securebits' KEEP_CAPS): kept
	// across a change away from user 0; cleared by execve.
	KeepCaps bool
	// The capability sets: effective, permitted and inheritable.
	CapEff, CapPrm, CapInh uint64
}

// Capabilities (include/uapi/linux/capability.h): Linux 6.x has 41.
const (
	CapLastCap = 40
	capFullSet = 1<<(CapLastCap+1) - 1
	capSetgid  = 6
	capSetuid  = 7
)

// rootCreds are init's credentials: root with every capability
// permitted and effective, none inheritable.
func rootCreds() Creds { return Creds{CapPrm: capFullSet, CapEff: capFullSet} }

// KeepCaps returns PR_GET_KEEPCAPS's value.
func (t *Task) KeepCaps() int {
	if t.Proc.Creds().KeepCaps {
		return 1
	}
	return 0
}

// SetKeepCaps implements PR_SET_KEEPCAPS.
func (t *Task) SetKeepCaps(v int) {
	t.Proc.updateCreds(func(c *Creds) error { c.KeepCaps = v == 1; return nil })
}

// ngroupsMax is NGROUPS_MAX.
const ngroupsMax = 65536

// noID is (uid_t)-1: "leave unchanged" in setres*id and setre*id.
const noID = ^uint32(0)

// FSIDs implements fs.Creds: new files belong to the file-system IDs.
func (t *Task) FSIDs() (uid, gid uint32) {
	t.Proc.mu.Lock()
	defer t.Proc.mu.Unlock()
	return t.Proc.creds.FSUID, t.Proc.creds.FSGID
}

// Capable implements fs.Caller: whether cp is in the effective set
// (capable(9) in the one user namespace).
func (t *Task) Capable(cp linux.Capability) bool {
	t.Proc.mu.Lock()
	defer t.Proc.mu.Unlock()
	return cp <= CapLastCap && t.Proc.creds.CapEff&(1<<cp) != 0
}

// InGroup implements fs.Caller: gid is the file-system group ID or a
// supplementary group (in_group_p).
func (t *Task) InGroup(gid uint32) bool {
	t.Proc.mu.Lock()
	defer t.Proc.mu.Unlock()
	return t.Proc.creds.FSGID == gid || slices.Contains(t.Proc.creds.Groups, gid)
}

// Creds returns a copy of the process's credentials.
func (p *Process) Creds() Creds {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.creds
	c.Groups = append([]uint32(nil), c.Groups...)
	return c
}

// updateCreds applies fn to the credentials under the process's lock.
func (p *Process) updateCreds(fn func(c *Creds) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.creds
	if err := fn(&c); err != nil {
		return err
	}
	p.creds = c
	return nil
}

func (c *Creds) capSetUID() bool { return c.CapEff&(1<<capSetuid) != 0 }
func (c *Creds) capSetGID() bool { return c.CapEff&(1<<capSetgid) != 0 }

// fixCaps adjusts the capability sets after a change of user IDs as
// cap_emulate_setxuid does: leaving user 0 in every user ID drops the
// permitted and effective sets (the effective set only, with KEEP_CAPS);
// leaving effective user 0 drops the effective set; becoming effective
// user 0 again restores it from the permitted set.
func (c *Creds) fixCaps(old Creds) {
	if (old.RUID == 0 || old.EUID == 0 || old.SUID == 0) && c.RUID != 0 && c.EUID != 0 && c.SUID != 0 {
		if !c.KeepCaps {
			c.CapPrm = 0
		}
		c.CapEff = 0
	}
	if old.EUID == 0 && c.EUID != 0 {
		c.CapEff = 0
	}
	if old.EUID != 0 && c.EUID == 0 {
		c.CapEff = c.CapPrm
	}
}

// execCaps is what execve does to the capabilities of a program without
// file capabilities (cap_bprm_creds_from_file): root (real or effective
// user 0) gets the full permitted set, effective if its effective user
// is 0; anyone else loses them. KEEP_CAPS is cleared.
func (c *Creds) execCaps() {
	c.KeepCaps = false
	if c.RUID == 0 || c.EUID == 0 {
		c.CapPrm = capFullSet
	} else {
		c.CapPrm = 0
	}
	c.CapEff = 0
	if c.EUID == 0 {
		c.CapEff = c.CapPrm
	}
}

// updateUIDs is updateCreds for calls that change user IDs, with the
// capability rules applied.
func (p *Process) updateUIDs(fn func(c *Creds) error) error {
	return p.updateCreds(func(c *Creds) error {
		old := *c
		if err := fn(c); err != nil {
			return err
		}
		c.fixCaps(old)
		return nil
	})
}

// Capget returns the capability sets (capget(2)).
func (p *Process) Capget() (eff, prm, inh uint64) {
	c := p.Creds()
	return c.CapEff, c.CapPrm, c.CapInh
}

// Capset implements capset(2) for the caller (cap_capset): the new
// permitted set within the old one, the effective set within the new
// permitted one, the inheritable set within the old inheritable and
// permitted sets.
func (p *Process) Capset(eff, prm, inh uint64) error {
	return p.updateCreds(func(c *Creds) error {
		if prm&^c.CapPrm != 0 || eff&^prm != 0 || inh&^(c.CapInh|c.CapPrm) != 0 {
			return linuxerr.EPERM
		}
		c.CapEff, c.CapPrm, c.CapInh = eff, prm, inh
		return nil
	})
}

// SetUID implements setuid(2): with privilege it sets every user ID,
// otherwise only the effective (and fs) ID, to the real or saved one.
func (p *Process) SetUID(uid uint32) error {
	if uid == noID {
		return linuxerr.EINVAL
	}
	return p.updateUIDs(func(c *Creds) error {
		switch {
		case c.capSetUID():
			c.RUID, c.EUID, c.SUID, c.FSUID = uid, uid, uid, uid
		case uid == c.RUID || uid == c.SUID:
			c.EUID, c.FSUID = uid, uid
		default:
			return linuxerr.EPERM
		}
		return nil
	})
}

// SetGID implements setgid(2).
func (p *Process) SetGID(gid uint32) error {
	if gid == noID {
		return linuxerr.EINVAL
	}
	return p.updateCreds(func(c *Creds) error {
		switch {
		case c.capSetGID():
			c.RGID, c.EGID, c.SGID, c.FSGID = gid, gid, gid, gid
		case gid == c.RGID || gid == c.SGID:
			c.EGID, c.FSGID = gid, gid
		default:
			return linuxerr.EPERM
		}
		return nil
	})
}

// SetREUID implements setreuid(2).
func (p *Process) SetREUID(r, e uint32) error {
	return p.updateUIDs(func(c *Creds) error {
		old := *c
		if r != noID {
			if !old.capSetUID() && r != old.RUID && r != old.EUID {
				return linuxerr.EPERM
			}
			c.RUID = r
		}
		if e != noID {
			if !old.capSetUID() && e != old.RUID && e != old.EUID && e != old.SUID {
				return linuxerr.EPERM
			}
			c.EUID = e
		}
		// The saved ID follows the effective one when the real ID is
		// set or the effective one differs from the old real ID.
		if r != noID || e != noID && e != old.RUID {
			c.SUID = c.EUID
		}
		c.FSUID = c.EUID
		return nil
	})
}

// SetREGID implements setregid(2).
func (p *Process) SetREGID(r, e uint32) error {
	return p.updateCreds(func(c *Creds) error {
		old := *c
		if r != noID {
			if !old.capSetGID() && r != old.RGID && r != old.EGID {
				return linuxerr.EPERM
			}
			c.RGID = r
		}
		if e != noID {
			if !old.capSetGID() && e != old.RGID && e != old.EGID && e != old.SGID {
				return linuxerr.EPERM
			}
			c.EGID = e
		}
		if r != noID || e != noID && e != old.RGID {
			c.SGID = c.EGID
		}
		c.FSGID = c.EGID
		return nil
	})
}

// SetRESUID implements setresuid(2): without privilege each new ID must
// be one of the current real, effective or saved IDs.
func (p *Process) SetRESUID(r, e, s uint32) error {
	return p.updateUIDs(func(c *Creds) error {
		old := *c
		ok := func(id uint32) bool {
			return id == noID || old.capSetUID() || id == old.RUID || id == old.EUID || id == old.SUID
		}
		if !ok(r) || !ok(e) || !ok(s) {
			return linuxerr.EPERM
		}
		if r != noID {
			c.RUID = r
		}
		if e != noID {
			c.EUID = e
		}
		if s != noID {
			c.SUID = s
		}
		c.FSUID = c.EUID
		return nil
	})
}

// SetRESGID implements setresgid(2).
func (p *Process) SetRESGID(r, e, s uint32) error {
	return p.updateCreds(func(c *Creds) error {
		old := *c
		ok := func(id uint32) bool {
			return id == noID || old.capSetGID() || id == old.RGID || id == old.EGID || id == old.SGID
		}
		if !ok(r) || !ok(e) || !ok(s) {
			return linuxerr.EPERM
		}
		if r != noID {
			c.RGID = r
		}
		if e != noID {
			c.EGID = e
		}
		if s != noID {
			c.SGID = s
		}
		c.FSGID = c.EGID
		return nil
	})
}

// SetFSUID implements setfsuid(2): it returns the old fs ID whether or not
// the change was allowed (it is silently refused without privilege unless
// the new ID is one of the other IDs).
func (p *Process) SetFSUID(uid uint32) uint32 {
	var old uint32
	p.updateCreds(func(c *Creds) error {
		old = c.FSUID
		if uid != noID && (c.capSetUID() || uid == c.RUID || uid == c.EUID || uid == c.SUID || uid == c.FSUID) {
			c.FSUID = uid
		}
		return nil
	})
	return old
}

// SetFSGID implements setfsgid(2).
func (p *Process) SetFSGID(gid uint32) uint32 {
	var old uint32
	p.updateCreds(func(c *Creds) error {
		old = c.FSGID
		if gid != noID && (c.capSetGID() || gid == c.RGID || gid == c.EGID || gid == c.SGID || gid == c.FSGID) {
			c.FSGID = gid
		}
		return nil
	})
	return old
}

// SetGroups implements setgroups(2): privileged only.
func (p *Process) SetGroups(groups []uint32) error {
	if len(groups) > ngroupsMax {
		return linuxerr.EINVAL
	}
	return p.updateCreds(func(c *Creds) error {
		if !c.capSetGID() {
			return linuxerr.EPERM
		}
		c.Groups = append([]uint32(nil), groups...)
		return nil
	})
}

// SocketCreds implements socket.Creds: the process and its real and
// effective IDs, for SCM_CREDENTIALS and SO_PEERCRED.
func (t *Task) SocketCreds() (pid int32, uid, gid, euid, egid uint32) {
	c := t.Proc.Creds()
	return t.Proc.PID, c.RUID, c.RGID, c.EUID, c.EGID
}
