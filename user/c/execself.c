// execve(2) of the program itself with new arguments and environment,
// for the strace test of execve (qemu/strace_test.go): the path, argv and
// envp strings and arrays live on the stack, which the new program image
// replaces, so strace must decode them before the call runs. A failing
// execve first shows the error path.
#include "check.h"

int main(int argc, char **argv) {
	if (argc > 1) {
		printf("%s: argc %d, argv[1] %s, STAGE=%s\n", argv[0], argc, argv[1], getenv("STAGE"));
		return 0;
	}
	// The program's own path (not /proc/self/exe, so that the new image's
	// /proc/self/exe is the file itself on both sides).
	char path[4096], missing[] = "/nonexistent";
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n < 0) {
		show("readlink", n);
		return 1;
	}
	path[n] = 0;
	char a0[] = "execself", a1[] = "again", a2[] = "an argument longer than strace shows";
	char e0[] = "STAGE=2", e1[] = "HOME=/", e2[] = "TERM=linux";
	char *nargv[] = {a0, a1, a2, NULL};
	char *nenvp[] = {e0, e1, e2, NULL};
	show("execve of a missing file", execve(missing, nargv, nenvp));
	execve(path, nargv, nenvp);
	printf("execve: %s\n", strerrorname_np(errno));
	return 1;
}
