package syscalls

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
)

// maxArgv bounds argv and envp pointer arrays (MAX_ARG_STRINGS).
const maxArgv = 0x7fffffff

// readStringArray reads a NULL-terminated array of string pointers.
func readStringArray(t *task.Task, addr uintptr) ([]string, error) {
	var out []string
	if addr == 0 {
		return nil, nil
	}
	for i := 0; i < maxArgv; i++ {
		p, err := copyInU64(t, addr+uintptr(8*i))
		if err != nil {
			return nil, err
		}
		if p == 0 {
			return out, nil
		}
		s, err := t.CopyInString(uintptr(p), 32*4096)
		if err != nil {
			if linuxerr.Equals(linuxerr.ENAMETOOLONG, err) {
				return nil, linuxerr.E2BIG
			}
			return nil, err
		}
		out = append(out, s)
	}
	return nil, linuxerr.E2BIG
}

// sysExecve implements execve(2).
func sysExecve(t *task.Task, a *Args) (uintptr, error) {
	return execveat(t, uintptr(atFdcwd&0xffffffff), a[0], a[1], a[2], 0)
}

// sysExecveat implements execveat(2): the program is path relative to
// dirfd, or dirfd itself with AT_EMPTY_PATH and an empty path.
func sysExecveat(t *task.Task, a *Args) (uintptr, error) {
	return execveat(t, a[0], a[1], a[2], a[3], uint32(a[4]))
}

func execveat(t *task.Task, dirfd, pathAddr, argvAddr, envpAddr uintptr, flags uint32) (uintptr, error) {
	if flags&^(atSymlinkNofollow|atEmptyPath) != 0 {
		return 0, linuxerr.EINVAL
	}
	path, err := pathArg(t, pathAddr)
	if err != nil {
		return 0, err
	}
	argv, err := readStringArray(t, argvAddr)
	if err != nil {
		return 0, err
	}
	envp, err := readStringArray(t, envpAddr)
	if err != nil {
		return 0, err
	}
	var file task.ExecFile
	filename := path
	inaccessible := false
	if path == "" {
		if flags&atEmptyPath == 0 {
			return 0, linuxerr.ENOENT
		}
		f, err := getFile(t, dirfd)
		if err != nil {
			return 0, err
		}
		defer f.DecRef()
		if _, ok := f.Inode.(fs.Regular); !ok {
			return 0, linuxerr.EACCES
		}
		if f.Inode.Attr().Mode&0o111 == 0 || f.Mnt != nil && f.Mnt.NoExec() {
			return 0, linuxerr.EACCES
		}
		file = task.ExecFile{Node: f.Inode, Path: f.Path}
		// The name the program gets for itself (do_execveat_common).
		filename = "/dev/fd/" + itoa(int64(int32(dirfd)))
	} else {
		dir, err := baseDir(t, dirfd, path)
		if err != nil {
			return 0, err
		}
		if file, err = task.OpenExec(t, dir, path, flags&atSymlinkNofollow == 0); err != nil {
			return 0, err
		}
		if path[0] != '/' && int32(dirfd) != atFdcwd {
			filename = "/dev/fd/" + itoa(int64(int32(dirfd))) + "/" + path
		}
	}
	if filename != path {
		// do_execveat_common: a /dev/fd/N name of a close-on-exec
		// descriptor will not exist for the new program.
		inaccessible, _ = t.Proc.FDs().Cloexec(int32(dirfd))
	}
	return 0, t.Exec(task.ExecArgs{File: file, Filename: filename, Argv: argv, Envp: envp, FilenameInaccessible: inaccessible})
}
