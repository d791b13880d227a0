package syscalls

import (
	"errors"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel"
	"oyako/kernel/klog"
)

// maxArgv bounds argv and envp pointer arrays (MAX_ARG_STRINGS).
const maxArgv = 0x7fffffff

// readStringArray reads a NULL-terminated array of string pointers.
func readStringArray(t *kernel.Task, addr uintptr) ([]string, error) {
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

// sysExecve implements execve(2) for a single-threaded process.
func sysExecve(t *kernel.Task, a *Args) (uintptr, error) {
	path, err := pathArg(t, a[0])
	if err != nil {
		return 0, err
	}
	argv, err := readStringArray(t, a[1])
	if err != nil {
		return 0, err
	}
	envp, err := readStringArray(t, a[2])
	if err != nil {
		return 0, err
	}
	if t.Proc.Threads() > 1 {
		// de_thread (killing the other threads first) is stage 4.
		return 0, linuxerr.EAGAIN
	}
	if err := t.Exec(path, argv, envp); err != nil {
		if errors.Is(err, kernel.ErrDynamic) {
			klog.Log("oyako: execve " + path + ": " + err.Error())
			return 0, linuxerr.ENOEXEC
		}
		return 0, err
	}
	return 0, nil
}
