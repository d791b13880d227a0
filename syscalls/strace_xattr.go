package syscalls

import (
	"oyako/fs"
	"oyako/kernel/task"
)

// strace's decoding of the extended attribute calls (strace's xattr.c):
// the path or descriptor, the name as a string, a value as a string of
// its length without a trailing NUL (the address when it cannot be
// shown: a failed getxattr, a length over XATTR_SIZE_MAX), a name list
// as a string of its length with its NULs, and setxattr's flags.

func init() {
	for _, c := range []struct{ prefix, target string }{{"", "path"}, {"l", "path"}, {"f", "fd"}} {
		argSpecs[c.prefix+"setxattr"] = []string{c.target, "xattrname", "xattrvalue:3", "u", "xattrflags"}
		argSpecs[c.prefix+"getxattr"] = []string{c.target, "xattrname", "xattrvalueout:3", "u"}
		argSpecs[c.prefix+"listxattr"] = []string{c.target, "xattrlistout:2", "u"}
		argSpecs[c.prefix+"removexattr"] = []string{c.target, "xattrname"}
	}
	argSpecs["setxattrat"] = []string{"dirfd", "path", "atflags", "xattrname", "p", "u"}
	argSpecs["getxattrat"] = []string{"dirfd", "path", "atflags", "xattrname", "p", "u"}
	argSpecs["listxattrat"] = []string{"dirfd", "path", "atflags", "xattrlistout:4", "u"}
	argSpecs["removexattrat"] = []string{"dirfd", "path", "atflags", "xattrname"}
	extraArgKinds = append(extraArgKinds, formatXattrArg)
}

var xattrFlagNames = []flagName{{fs.XATTR_CREATE, "XATTR_CREATE"}, {fs.XATTR_REPLACE, "XATTR_REPLACE"}}

// formatXattrArg formats the extended attribute argument kinds that are
// inputs (the outputs are in formatArg, which has the result).
func formatXattrArg(t *task.Task, kind string, n int, a Args, v uintptr, _ error) (string, bool) {
	switch kind {
	case "xattrname":
		return readStr(t, v), true
	case "xattrflags":
		return flagList(uint64(uint32(v)), xattrFlagNames, "0"), true
	case "xattrvalue":
		return fmtXattrValue(t, v, uint64(a[n])), true
	}
	return "", false
}

// fmtXattrValue formats a value of size bytes as print_xattr_val does:
// its address beyond XATTR_SIZE_MAX, else a string of at most
// straceMaxStrlen bytes ("..." after the quote if longer) whose trailing
// NUL is left out.
func fmtXattrValue(m userMemory, addr uintptr, size uint64) string {
	if size > fs.XATTR_SIZE_MAX || addr == 0 {
		return ptr(uint64(addr))
	}
	b := make([]byte, min(size, straceMaxStrlen+1))
	if m.CopyIn(addr, b) != nil {
		return ptr(uint64(addr))
	}
	if size <= straceMaxStrlen && size > 0 && b[size-1] == 0 {
		b = b[:size-1]
	}
	if size > straceMaxStrlen {
		return quote(b, straceMaxStrlen) + "..."
	}
	return quote(b, straceMaxStrlen)
}

// fmtXattrValueOut formats getxattr's value: its address if the caller
// asked only for the length or the call failed, else the value as long
// as the call returned.
func fmtXattrValueOut(m userMemory, addr uintptr, size uint64, ret uintptr, err error) string {
	if size == 0 || err != nil {
		return ptr(uint64(addr))
	}
	return fmtXattrValue(m, addr, uint64(ret))
}

// fmtXattrList formats listxattr's list: its address if the caller
// asked only for the length or the call failed, else the names as
// printstrn shows ret bytes.
func fmtXattrList(m userMemory, addr uintptr, size uint64, ret uintptr, err error) string {
	if size == 0 || err != nil || addr == 0 {
		return ptr(uint64(addr))
	}
	b := make([]byte, min(uint64(ret), straceMaxStrlen))
	if m.CopyIn(addr, b) != nil {
		return ptr(uint64(addr))
	}
	if uint64(ret) > straceMaxStrlen {
		return quote(b, straceMaxStrlen) + "..."
	}
	return quote(b, straceMaxStrlen)
}
