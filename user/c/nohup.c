// nohup runs a command with SIGHUP ignored, as nohup(1) does when its
// standard output is not a terminal. Debian's busybox-static has no nohup
// applet and coreutils' is dynamically linked, so qemu.TestGoOSSignal puts
// this one at /usr/bin/nohup for the os/signal tests that use it.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: nohup COMMAND [ARG]...\n");
		return 125;
	}
	signal(SIGHUP, SIG_IGN);
	execvp(argv[1], argv + 1);
	perror("nohup");
	return 127;
}
