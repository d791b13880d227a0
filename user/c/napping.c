// napping N: N threads (the main one included) asleep until the process
// is killed. The QEMU /proc test (qemu/procfs_test.go) counts them in
// /proc/PID/status and /proc/PID/task; it prints nothing.
#include "check.h"
#include <pthread.h>

static void *nap(void *arg) {
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 1;
	for (int i = 1; i < n; i++) {
		pthread_t t;
		pthread_create(&t, NULL, nap, NULL);
	}
	nap(NULL);
}
