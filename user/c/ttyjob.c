// ttyjob: job control on a terminal (drivers/tty/tty_jobctrl.c's
// __tty_check_change, n_tty_read's job_control, n_tty_write's TOSTOP
// check). It must run in the foreground of its controlling terminal: each
// case forks a child into a process group of its own, in the background,
// which reads from the terminal, writes to it, or changes it; the parent
// reports how the child ended or what its call returned. A background
// reader is stopped by SIGTTIN; with SIGTTIN ignored or blocked its read
// fails with EIO, with a handler it fails with EINTR; a background writer
// is stopped by SIGTTOU only with TOSTOP set; tcsetattr, tcflush and
// tcsetpgrp from the background are stopped by SIGTTOU unless it is
// ignored or blocked; an orphaned process group gets EIO instead of a
// stop (ENOTTY from tcsetpgrp).
//
// There is no terminal in oyako's differential suite (no pseudo-terminals
// yet), so qemu.TestInteractiveShell runs it at the shell of `make qemu`
// (on /dev/ttyS0) and compares with its run natively under script(1).
#include "check.h"
#include <termios.h>

enum { IGNORE = 1, BLOCK = 2, HANDLE = 4 };

static volatile sig_atomic_t handled;
static void on_signal(int sig) { (void)sig, handled++; }

// dispose sets sig's disposition in the child as flags say.
static void dispose(int sig, int flags) {
	if (flags & IGNORE)
		signal(sig, SIG_IGN);
	if (flags & BLOCK) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, sig);
		sigprocmask(SIG_BLOCK, &s, NULL);
	}
	if (flags & HANDLE) {
		struct sigaction sa = {.sa_handler = on_signal}; // no SA_RESTART
		sigaction(sig, &sa, NULL);
	}
}

static int do_read(void) {
	char c;
	return read(0, &c, 1) < 0 ? errno : 0;
}

static int do_write(void) {
	static const char msg[] = "background write\n";
	return write(1, msg, sizeof msg - 1) < 0 ? errno : 0;
}

static int do_tcsetattr(void) {
	struct termios t;
	if (tcgetattr(0, &t) < 0)
		return errno;
	return tcsetattr(0, TCSANOW, &t) < 0 ? errno : 0;
}

static int do_tcgetattr(void) {
	struct termios t;
	return tcgetattr(0, &t) < 0 ? errno : 0;
}

static int do_tcflush(void) { return tcflush(0, TCIFLUSH) < 0 ? errno : 0; }

// do_tcsetpgrp makes the child's group the foreground and, if that
// worked, gives the foreground back to its parent's group.
static int do_tcsetpgrp(void) {
	pid_t parent = getpgid(getppid());
	if (tcsetpgrp(0, getpgrp()) < 0)
		return errno;
	int fg = tcgetpgrp(0) == getpgrp();
	tcsetpgrp(0, parent);
	return fg ? 0 : 255;
}

// run forks a background child that disposes of sig as flags say and
// calls action; a child stopped by a signal is killed.
static void run(const char *what, int sig, int flags, int (*action)(void)) {
	pid_t pid = pfork();
	if (pid == 0) {
		setpgid(0, 0);
		dispose(sig, flags);
		int e = action();
		_exit(e == 0 ? 0 : e == 255 ? 255 : 100 * !!handled + e);
	}
	setpgid(pid, pid);
	int st;
	if (waitpid(pid, &st, WUNTRACED) != pid) {
		show("waitpid", -1);
		return;
	}
	if (WIFSTOPPED(st)) {
		printf("%s: %s\n", what, wait_status(st));
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 255) {
		printf("%s: %s\n", what, wait_status(st));
		return;
	}
	int code = WEXITSTATUS(st);
	if (code == 0)
		printf("%s: ok\n", what);
	else
		printf("%s: %s%s\n", what, strerrorname_np(code % 100), code >= 100 ? ", handler ran" : "");
}

static void set_tostop(int on) {
	struct termios t;
	tcgetattr(0, &t);
	if (on)
		t.c_lflag |= TOSTOP;
	else
		t.c_lflag &= ~TOSTOP;
	tcsetattr(0, TCSANOW, &t);
}

// orphaned runs the calls in a grandchild whose group is orphaned: its
// parent, the group's only link to the session's other groups, has
// exited. The grandchild reports through a pipe.
static void orphaned(void) {
	int p[2];
	if (pipe(p) < 0) {
		show("pipe", -1);
		return;
	}
	pid_t pid = pfork();
	if (pid == 0) {
		setpgid(0, 0);
		pid_t me = getpid();
		if (fork() == 0) {
			close(p[0]);
			while (getppid() == me)
				pause_ms(1);
			char buf[128];
			int n = snprintf(buf, sizeof buf, "orphaned read: %s\norphaned tcsetattr: %s\norphaned tcsetpgrp: %s\n",
					 strerrorname_np(do_read()), strerrorname_np(do_tcsetattr()), strerrorname_np(do_tcsetpgrp()));
			write(p[1], buf, n);
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	reap("orphaned group's parent", pid);
	char buf[256];
	long n, len = 0;
	while ((n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += n;
	close(p[0]);
	printf("%.*s", (int)len, buf);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!isatty(0) || tcgetpgrp(0) != getpgrp()) {
		printf("ttyjob: not in the foreground of a terminal\n");
		return 1;
	}
	run("read", SIGTTIN, 0, do_read);
	run("read, SIGTTIN ignored", SIGTTIN, IGNORE, do_read);
	run("read, SIGTTIN blocked", SIGTTIN, BLOCK, do_read);
	run("read, SIGTTIN handled", SIGTTIN, HANDLE, do_read);
	run("tcgetattr", SIGTTOU, 0, do_tcgetattr);
	run("write", SIGTTOU, 0, do_write);
	set_tostop(1);
	run("write, TOSTOP", SIGTTOU, 0, do_write);
	run("write, TOSTOP, SIGTTOU ignored", SIGTTOU, IGNORE, do_write);
	run("write, TOSTOP, SIGTTOU blocked", SIGTTOU, BLOCK, do_write);
	set_tostop(0);
	run("tcsetattr", SIGTTOU, 0, do_tcsetattr);
	run("tcsetattr, SIGTTOU ignored", SIGTTOU, IGNORE, do_tcsetattr);
	run("tcsetattr, SIGTTOU blocked", SIGTTOU, BLOCK, do_tcsetattr);
	run("tcsetattr, SIGTTOU handled", SIGTTOU, HANDLE, do_tcsetattr);
	run("tcflush", SIGTTOU, 0, do_tcflush);
	run("tcsetpgrp", SIGTTOU, 0, do_tcsetpgrp);
	run("tcsetpgrp, SIGTTOU ignored", SIGTTOU, IGNORE, do_tcsetpgrp);
	ok("foreground again", tcgetpgrp(0) == getpgrp());
	orphaned();
	printf("ttyjob done\n");
	return 0;
}
