package syscalls

import "strconv"

// errnoNames gives strace's name and glibc's message for each errno
// (include/uapi/asm-generic/errno-base.h, errno.h; glibc strerror).
var errnoNames = map[uint32][2]string{
	// The kernel-internal restart codes, as strace names them.
	512: {"ERESTARTSYS", "To be restarted if SA_RESTART is set"}, 513: {"ERESTARTNOINTR", "To be restarted"},
	514: {"ERESTARTNOHAND", "To be restarted if no handler"}, 516: {"ERESTART_RESTARTBLOCK", "Interrupted by signal"},
	1: {"EPERM", "Operation not permitted"}, 2: {"ENOENT", "No such file or directory"},
	3: {"ESRCH", "No such process"}, 4: {"EINTR", "Interrupted system call"},
	5: {"EIO", "Input/output error"}, 6: {"ENXIO", "No such device or address"},
	7: {"E2BIG", "Argument list too long"}, 8: {"ENOEXEC", "Exec format error"},
	9: {"EBADF", "Bad file descriptor"}, 10: {"ECHILD", "No child processes"},
	11: {"EAGAIN", "Resource temporarily unavailable"}, 12: {"ENOMEM", "Cannot allocate memory"},
	13: {"EACCES", "Permission denied"}, 14: {"EFAULT", "Bad address"},
	16: {"EBUSY", "Device or resource busy"}, 17: {"EEXIST", "File exists"},
	18: {"EXDEV", "Invalid cross-device link"}, 19: {"ENODEV", "No such device"},
	20: {"ENOTDIR", "Not a directory"}, 21: {"EISDIR", "Is a directory"},
	22: {"EINVAL", "Invalid argument"}, 23: {"ENFILE", "Too many open files in system"},
	24: {"EMFILE", "Too many open files"}, 25: {"ENOTTY", "Inappropriate ioctl for device"},
	26: {"ETXTBSY", "Text file busy"}, 27: {"EFBIG", "File too large"},
	28: {"ENOSPC", "No space left on device"}, 29: {"ESPIPE", "Illegal seek"},
	30: {"EROFS", "Read-only file system"}, 31: {"EMLINK", "Too many links"},
	32: {"EPIPE", "Broken pipe"}, 33: {"EDOM", "Numerical argument out of domain"},
	34: {"ERANGE", "Numerical result out of range"}, 35: {"EDEADLK", "Resource deadlock avoided"},
	36: {"ENAMETOOLONG", "File name too long"}, 38: {"ENOSYS", "Function not implemented"},
	39: {"ENOTEMPTY", "Directory not empty"}, 40: {"ELOOP", "Too many levels of symbolic links"},
	61: {"ENODATA", "No data available"}, 62: {"ETIME", "Timer expired"},
	75: {"EOVERFLOW", "Value too large for defined data type"}, 77: {"EBADFD", "File descriptor in bad state"},
	95: {"EOPNOTSUPP", "Operation not supported"}, 110: {"ETIMEDOUT", "Connection timed out"},
	// io_uring's (ETIME, EBADFD above).
	114: {"EALREADY", "Operation already in progress"}, 125: {"ECANCELED", "Operation canceled"},
	130: {"EOWNERDEAD", "Owner died"},
	// The socket layer's (include/uapi/asm-generic/errno.h).
	88: {"ENOTSOCK", "Socket operation on non-socket"}, 89: {"EDESTADDRREQ", "Destination address required"},
	90: {"EMSGSIZE", "Message too long"}, 91: {"EPROTOTYPE", "Protocol wrong type for socket"},
	92: {"ENOPROTOOPT", "Protocol not available"}, 93: {"EPROTONOSUPPORT", "Protocol not supported"},
	94: {"ESOCKTNOSUPPORT", "Socket type not supported"}, 97: {"EAFNOSUPPORT", "Address family not supported by protocol"},
	98: {"EADDRINUSE", "Address already in use"}, 99: {"EADDRNOTAVAIL", "Cannot assign requested address"},
	103: {"ECONNABORTED", "Software caused connection abort"}, 104: {"ECONNRESET", "Connection reset by peer"},
	105: {"ENOBUFS", "No buffer space available"}, 106: {"EISCONN", "Transport endpoint is already connected"},
	107: {"ENOTCONN", "Transport endpoint is not connected"}, 109: {"ETOOMANYREFS", "Too many references: cannot splice"},
	111: {"ECONNREFUSED", "Connection refused"}, 115: {"EINPROGRESS", "Operation now in progress"},
	96: {"EPFNOSUPPORT", "Protocol family not supported"}, 100: {"ENETDOWN", "Network is down"},
	101: {"ENETUNREACH", "Network is unreachable"}, 102: {"ENETRESET", "Network dropped connection on reset"},
	108: {"ESHUTDOWN", "Cannot send after transport endpoint shutdown"}, 112: {"EHOSTDOWN", "Host is down"},
	113: {"EHOSTUNREACH", "No route to host"},
}

// errnoName returns "ENOENT (No such file or directory)" for 2.
func errnoName(e uint32) string {
	if n, ok := errnoNames[e]; ok {
		return n[0] + " (" + n[1] + ")"
	}
	return "E" + strconv.Itoa(int(e)) + " (Unknown error " + strconv.Itoa(int(e)) + ")"
}

// errnoSymbol returns "ENOENT" for 2 (or "E<n>" for an errno without a
// name here).
func errnoSymbol(e uint32) string {
	if n, ok := errnoNames[e]; ok {
		return n[0]
	}
	return "E" + strconv.Itoa(int(e))
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
