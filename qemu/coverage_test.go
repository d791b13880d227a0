package qemu

import (
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
)

// coverage merges the system call counters of every oyako run in the
// conformance suite.
var coverage = &suiteCoverage{stats: map[string]SyscallStat{}}

type suiteCoverage struct {
	mu            sync.Mutex
	expected, ran int
	stats         map[string]SyscallStat
}

// expect notes that one more case is about to run.
func (c *suiteCoverage) expect() {
	c.mu.Lock()
	c.expected++
	c.mu.Unlock()
}

// add merges one run's counters.
func (c *suiteCoverage) add(run map[string]SyscallStat) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ran++
	for name, st := range run {
		all := c.stats[name]
		all.Calls += st.Calls
		if all.Errnos == nil {
			all.Errnos = map[string]bool{}
		}
		for e := range st.Errnos {
			all.Errnos[e] = true
		}
		c.stats[name] = all
	}
}

// stage2Calls are the system calls issue 3 (stage 2) lists; the suite
// must make each one at least once.
var stage2Calls = strings.Fields(`
	read write readv writev pread64 pwrite64 openat close lseek fstat
	newfstatat statx getdents64 readlinkat readlink mmap munmap mprotect
	mremap madvise brk arch_prctl set_tid_address set_robust_list rseq
	futex clone clone3 exit exit_group getpid gettid getppid getuid
	geteuid getgid getegid uname getrandom clock_gettime clock_getres
	nanosleep clock_nanosleep sched_yield sched_getaffinity prlimit64
	getrlimit ioctl rt_sigaction rt_sigprocmask sigaltstack getcwd chdir
	umask fcntl dup dup2 dup3 pipe2`)

// stage2Errors are error paths the suite must take: "call ERRNO".
var stage2Errors = strings.Fields(`
	read:EFAULT read:EBADF write:EFAULT write:EBADF close:EBADF
	openat:ENOENT openat:EFAULT openat:EINVAL lseek:EINVAL lseek:ESPIPE
	mmap:EINVAL mmap:EBADF munmap:EINVAL mprotect:EINVAL
	futex:ETIMEDOUT futex:EAGAIN futex:EFAULT ioctl:ENOTTY ioctl:EBADF
	dup2:EBADF dup3:EINVAL fcntl:EBADF getdents64:ENOTDIR
	clock_gettime:EINVAL nanosleep:EINVAL uname:EFAULT getrandom:EFAULT
	rt_sigaction:EINVAL pipe2:EINVAL getcwd:ERANGE chdir:ENOTDIR
	readlinkat:EINVAL newfstatat:ENOENT statx:EFAULT
	mremap:EINVAL prlimit64:EINVAL sched_getaffinity:EINVAL`)

// lockCalls and lockErrors are the file locking calls and error paths
// (issue 7, stage 4: fs/lock.go), made by user/c/locks.c.
var (
	lockCalls  = strings.Fields(`flock close_range`)
	lockErrors = strings.Fields(`
	fcntl:EAGAIN fcntl:EOVERFLOW fcntl:EINVAL fcntl:EFAULT flock:EAGAIN
	flock:EINVAL flock:EBADF close_range:EINVAL`)
)

// pipeCalls and pipeErrors are the same for the pipes and data-moving
// calls of stage 4 (issue 7).
var pipeCalls = strings.Fields(`pipe splice tee sendfile copy_file_range`)

var pipeErrors = strings.Fields(`
	write:EPIPE write:EAGAIN read:EAGAIN fcntl:EBUSY fcntl:EINVAL
	splice:ESPIPE splice:EINVAL splice:EAGAIN splice:EPIPE splice:EFAULT
	tee:EINVAL tee:EAGAIN tee:EPIPE sendfile:ESPIPE sendfile:EINVAL
	copy_file_range:EXDEV copy_file_range:EISDIR copy_file_range:EINVAL
	copy_file_range:EOVERFLOW`)

// procfsCalls and procfsErrors are the UTS calls of stage 4's /proc
// work, made by user/c/procfs.c (their errors only: a successful call
// would rename the machine the native side runs on).
var (
	procfsCalls  = strings.Fields(`sethostname setdomainname`)
	procfsErrors = strings.Fields(`sethostname:EPERM sethostname:EINVAL sethostname:EFAULT setdomainname:EINVAL setdomainname:EPERM`)
)

// vfsCalls and vfsErrors are the calls and error paths of the writable
// file system (issue 7, stage 4: fs/namei.go, fs/attr.go), made by
// user/c/vfs.c; mountCalls and mountErrors those of mounts
// (fs/mount.go), made by user/c/mounts.c, which runs only as root.
var vfsCalls = strings.Fields(`
	mkdir mkdirat mknodat unlink unlinkat rmdir rename renameat renameat2
	link linkat symlink symlinkat chmod fchmod fchmodat fchmodat2 chown
	fchown lchown fchownat utimensat futimesat truncate ftruncate
	fallocate fsync fdatasync sync syncfs statfs fstatfs`)

var vfsErrors = strings.Fields(`
	mkdir:EEXIST mkdir:ENOTDIR mkdir:ENAMETOOLONG mknodat:EPERM
	mknodat:EINVAL unlink:EISDIR unlink:ENOTDIR unlinkat:EINVAL
	rmdir:ENOTEMPTY rmdir:EBUSY rmdir:EINVAL rename:EXDEV rename:EINVAL
	rename:ENOTEMPTY rename:EISDIR rename:EBUSY renameat2:EEXIST
	renameat2:EINVAL link:EPERM linkat:ENOENT fchmodat2:EOPNOTSUPP
	truncate:EISDIR ftruncate:EINVAL fallocate:EOPNOTSUPP fsync:EINVAL
	utimensat:EINVAL openat:ENXIO getcwd:ENOENT`)

var (
	// The extended attribute calls come from xattr.c, which mounts a
	// ramfs too.
	mountCalls = strings.Fields(`mount umount2 getxattr lgetxattr fgetxattr
	setxattr lsetxattr fsetxattr listxattr llistxattr flistxattr
	removexattr lremovexattr fremovexattr`)
	mountErrors = strings.Fields(`
	mkdir:EROFS openat:EROFS unlink:EBUSY link:EXDEV fallocate:ENOSPC
	write:ENOSPC mount:ENODEV mount:EINVAL mount:ELOOP umount2:EBUSY
	umount2:EINVAL getxattr:EOPNOTSUPP getxattr:ERANGE getxattr:ENODATA
	setxattr:EPERM setxattr:E2BIG setxattr:EROFS fgetxattr:EBADF`)
)

// processCalls and processErrors are the process model's calls and error
// paths (issue 7, stage 4), made by user/c/fork.c, vfork.c, shm.c,
// signals.c and signalfd.c.
var processCalls = strings.Fields(`
	fork vfork execve execveat wait4 waitid kill tgkill setpgid getpgid
	getpgrp setsid getsid getrusage times rt_sigsuspend rt_sigtimedwait
	rt_sigreturn rt_sigpending rt_sigqueueinfo rt_tgsigqueueinfo
	setitimer getitimer alarm msync poll ppoll signalfd signalfd4`)

var processErrors = strings.Fields(`
	wait4:ECHILD wait4:EINVAL wait4:ESRCH waitid:ECHILD waitid:EINVAL
	execve:ENOENT execve:EACCES execve:ENOEXEC execve:ELOOP
	execveat:E2BIG execveat:ENOTDIR execveat:EFAULT execveat:EINVAL
	execveat:ENAMETOOLONG execveat:EBADF execveat:ELOOP execveat:ENOENT
	setpgid:EPERM setpgid:ESRCH setpgid:EACCES setpgid:EINVAL setsid:EPERM
	getpgid:ESRCH getsid:ESRCH kill:ESRCH kill:EINVAL tgkill:ESRCH
	rt_sigqueueinfo:EPERM rt_sigtimedwait:EAGAIN rt_sigtimedwait:EINTR
	sigaltstack:EPERM sigaltstack:ENOMEM getrusage:EINVAL
	setitimer:EINVAL msync:EINVAL msync:ENOMEM poll:EFAULT poll:EINVAL
	ppoll:EINVAL signalfd:EINVAL signalfd:EFAULT signalfd4:EINVAL
	signalfd4:EFAULT signalfd4:EBADF`)

// timerCalls and timerErrors are the POSIX timers' and timerfd's calls
// and error paths (issues 9 and 10), made by user/c/timers.c and
// timerfd.c.
var (
	timerCalls = strings.Fields(`timer_create timer_settime timer_gettime timer_getoverrun timer_delete
	timerfd_create timerfd_settime timerfd_gettime`)
	timerErrors = strings.Fields(`
	timerfd_create:EINVAL timerfd_settime:EINVAL timerfd_settime:EFAULT
	timerfd_settime:EBADF timerfd_gettime:EFAULT timerfd_gettime:EBADF
	timerfd_gettime:EINVAL
	timer_create:EINVAL timer_create:EOPNOTSUPP timer_create:EFAULT
	timer_settime:EINVAL timer_settime:EFAULT timer_gettime:EINVAL
	timer_gettime:EFAULT timer_delete:EINVAL timer_getoverrun:EINVAL
	getitimer:EFAULT`)
)

// socketCalls and socketErrors are the AF_UNIX socket calls and error
// paths (issue 10, stage 7), made by user/c/unix_stream.c, unix_dgram.c,
// unix_scm.c and unix_echo.c.
var (
	socketCalls = strings.Fields(`
	socket socketpair bind listen accept accept4 connect getsockname
	getpeername sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg
	shutdown getsockopt setsockopt`)
	socketErrors = strings.Fields(`
	socket:EAFNOSUPPORT socket:EINVAL socket:EPROTONOSUPPORT
	socket:ESOCKTNOSUPPORT socketpair:EFAULT bind:EADDRINUSE bind:EINVAL
	bind:ENOENT bind:ENOTSOCK listen:EINVAL listen:EOPNOTSUPP
	accept:EINVAL accept:EOPNOTSUPP accept4:EAGAIN accept4:EINVAL
	connect:EAGAIN connect:ECONNREFUSED connect:ENOENT connect:EISCONN
	connect:EPROTOTYPE connect:EINVAL getpeername:ENOTCONN
	getsockname:EFAULT getsockopt:ENOPROTOOPT getsockopt:EINVAL
	setsockopt:EINVAL recvfrom:EAGAIN recvfrom:ECONNRESET recvfrom:EINVAL
	recvfrom:ENOTCONN sendto:EPIPE sendto:ENOTCONN sendto:ECONNREFUSED
	sendto:EMSGSIZE sendto:EPERM sendto:EISCONN sendto:EOPNOTSUPP
	sendmsg:EBADF sendmsg:EINVAL sendmmsg:EMSGSIZE recvmmsg:EAGAIN
	shutdown:EINVAL read:ECONNRESET write:EPIPE`)
)

// inetErrors are the error paths of TCP, UDP and ping sockets (issue 13,
// stage 10), made by user/c/tcp.c and udp.c, which run only as root
// (natively in a network namespace of their own).
var inetErrors = strings.Fields(`
	bind:EAFNOSUPPORT listen:EADDRINUSE connect:EINPROGRESS
	connect:EAFNOSUPPORT connect:ENETUNREACH accept4:EFAULT
	recvfrom:ECONNREFUSED sendto:EDESTADDRREQ setsockopt:EDOM
	getsockopt:EOPNOTSUPP`)

// readinessCalls and readinessErrors are those of epoll, select and
// pselect6 (issue 10), made by user/c/readiness.c and epollnest.c.
var (
	readinessCalls  = strings.Fields(`select pselect6 epoll_create1 epoll_ctl epoll_wait pidfd_open`)
	readinessErrors = strings.Fields(`
	select:EINVAL select:EBADF select:EFAULT pselect6:EINVAL pselect6:EFAULT
	epoll_ctl:ELOOP epoll_ctl:EEXIST epoll_ctl:EINVAL epoll_ctl:EPERM`)
)

// uringCalls and uringErrors are io_uring's system calls and error paths
// (issue 11, stage 8), made by user/c/uring_basic.c and uring_sqpoll.c,
// and the system calls stage 8 added for the operations of its file
// opcodes, made by user/c/uring_fs.c.
var (
	uringCalls = strings.Fields(`io_uring_setup io_uring_enter io_uring_register
	openat2 fadvise64 sync_file_range`)
	uringErrors = strings.Fields(`
	io_uring_setup:EINVAL io_uring_setup:EFAULT io_uring_setup:ENXIO
	io_uring_enter:EINVAL io_uring_enter:EBADF io_uring_enter:EOPNOTSUPP
	io_uring_enter:ETIME io_uring_enter:EINTR io_uring_enter:EFAULT
	io_uring_enter:EEXIST io_uring_enter:EOWNERDEAD
	io_uring_register:EINVAL io_uring_register:EBUSY io_uring_register:ENXIO
	io_uring_register:EFAULT io_uring_register:EBADF io_uring_register:EOPNOTSUPP
	io_uring_register:EEXIST io_uring_register:EOVERFLOW
	openat2:ELOOP openat2:EXDEV openat2:EINVAL openat2:E2BIG openat2:EAGAIN
	fadvise64:EINVAL fadvise64:ESPIPE fadvise64:EBADF sync_file_range:EINVAL
	sync_file_range:ESPIPE sync_file_range:EBADF`)
)

// checkCoverage fails when the conformance programs, together, left out a
// stage 2 or file locking system call or error path, or never used a
// number above the table (which must answer ENOSYS).
func checkCoverage(t *testing.T) {
	c := coverage
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ran != c.expected || c.ran == 0 {
		t.Skipf("only %d of %d conformance cases ran to the end; coverage needs them all", c.ran, c.expected)
	}
	calls := concat(stage2Calls, lockCalls, pipeCalls, procfsCalls, vfsCalls, processCalls, timerCalls, socketCalls, readinessCalls, uringCalls)
	errs := concat(stage2Errors, lockErrors, pipeErrors, procfsErrors, vfsErrors, processErrors, timerErrors, socketErrors, readinessErrors, uringErrors)
	if os.Geteuid() == 0 {
		calls, errs = concat(calls, mountCalls), concat(errs, mountErrors, inetErrors)
	}
	var missing []string
	for _, name := range calls {
		if c.stats[name].Calls == 0 {
			missing = append(missing, name)
		}
	}
	for _, pe := range errs {
		name, errno, _ := strings.Cut(pe, ":")
		if !c.stats[name].Errnos[errno] {
			missing = append(missing, name+" "+errno)
		}
	}
	if c.stats["(above-table)"].Calls == 0 {
		missing = append(missing, "a number above the table")
	}
	if len(missing) > 0 {
		var seen []string
		for name, st := range c.stats {
			var es []string
			for e := range st.Errnos {
				es = append(es, e)
			}
			sort.Strings(es)
			seen = append(seen, name+" "+strings.Join(es, ","))
		}
		sort.Strings(seen)
		t.Errorf("the conformance programs never exercised:\n  %s\nwhat they did exercise:\n  %s",
			strings.Join(missing, "\n  "), strings.Join(seen, "\n  "))
	}
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
