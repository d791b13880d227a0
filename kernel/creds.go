package kernel

import "gvisor.dev/gvisor/pkg/errors/linuxerr"

// Creds are a process's user and group IDs (struct cred): real,
// effective, saved and file-system IDs and the supplementary groups.
// Everything starts as root; the set*id calls follow Linux's rules
// (kernel/sys.c), where the privilege that lets a process set any ID
// (CAP_SETUID, CAP_SETGID) is held by effective user 0.
//
// Limits: the IDs are stored and reported (and given to new files); file
// permission checks still treat every caller as root.
type Creds struct {
	RUID, EUID, SUID, FSUID uint32
	RGID, EGID, SGID, FSGID uint32
	Groups                  []uint32
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

func (c *Creds) capSetUID() bool { return c.EUID == 0 }

// SetUID implements setuid(2): with privilege it sets every user ID,
// otherwise only the effective (and fs) ID, to the real or saved one.
func (p *Process) SetUID(uid uint32) error {
	if uid == noID {
		return linuxerr.EINVAL
	}
	return p.updateCreds(func(c *Creds) error {
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
		case c.capSetUID():
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
	return p.updateCreds(func(c *Creds) error {
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
			if !old.capSetUID() && r != old.RGID && r != old.EGID {
				return linuxerr.EPERM
			}
			c.RGID = r
		}
		if e != noID {
			if !old.capSetUID() && e != old.RGID && e != old.EGID && e != old.SGID {
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
	return p.updateCreds(func(c *Creds) error {
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
			return id == noID || old.capSetUID() || id == old.RGID || id == old.EGID || id == old.SGID
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
		if gid != noID && (c.capSetUID() || gid == c.RGID || gid == c.EGID || gid == c.SGID || gid == c.FSGID) {
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
		if !c.capSetUID() {
			return linuxerr.EPERM
		}
		c.Groups = append([]uint32(nil), groups...)
		return nil
	})
}
