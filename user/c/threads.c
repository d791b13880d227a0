// Threads: clone3/clone through pthreads, futex through mutexes and
// condition variables and directly, thread exit with CLONE_CHILD_CLEARTID
// (pthread_join), thread IDs, affinity, rseq.
#include "check.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static char log[4][80];

static void *worker(void *arg) {
	long id = (long)arg;
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&mu);
		counter += id;
		pthread_mutex_unlock(&mu);
	}
	// Take turns in order through a condition variable.
	pthread_mutex_lock(&mu);
	while (turn != id)
		pthread_cond_wait(&cond, &mu);
	snprintf(log[id], sizeof log[id], "thread %ld: my turn after %d others, tid differs from pid: %d", id, turn, gettid() != getpid());
	turn++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mu);
	return (void *)(id * 10);
}

static int bsword;

// bitsetWaiter waits on bsword for wakes that include bit 1.
static void *bitsetWaiter(void *arg) {
	(void)arg;
	return (void *)syscall(SYS_futex, &bsword, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0x2);
}

// futexBitset: a wake with a disjoint bitset leaves the waiter asleep, a
// matching one wakes it; FUTEX_WAIT_BITSET timeouts are absolute.
static void futexBitset(void) {
	pthread_t th;
	R(pthread_create(&th, NULL, bitsetWaiter, NULL));
	struct timespec nap = {0, 20 * 1000 * 1000};
	nanosleep(&nap, NULL);
	RAW(SYS_futex, &bsword, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x1);
	long woken = 0;
	for (int i = 0; i < 1000 && woken == 0; i++) {
		woken = syscall(SYS_futex, &bsword, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x2);
		if (woken == 0)
			nanosleep(&nap, NULL);
	}
	printf("matching bitset woke %ld\n", woken);
	void *ret;
	R(pthread_join(th, &ret));
	printf("waiter returned %ld\n", (long)ret);
	struct timespec past;
	clock_gettime(CLOCK_MONOTONIC, &past);
	RAW(SYS_futex, &bsword, FUTEX_WAIT_BITSET_PRIVATE, 0, &past, NULL, ~0u);
	clock_gettime(CLOCK_REALTIME, &past);
	RAW(SYS_futex, &bsword, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &past, NULL, ~0u);
	RAW(SYS_futex, &bsword, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &past, NULL, 0);
}

int main(void) {
	pthread_t th[4];
	for (long i = 0; i < 4; i++)
		R(pthread_create(&th[i], NULL, worker, (void *)i));
	long sum = 0;
	for (int i = 0; i < 4; i++) {
		void *ret;
		R(pthread_join(th[i], &ret));
		sum += (long)ret;
	}
	for (int i = 0; i < 4; i++)
		printf("%s\n", log[i]);
	printf("counter %ld, joined sum %ld\n", counter, sum);

	int word = 5;
	RAW(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 6, NULL);
	struct timespec ts = {0, 10 * 1000 * 1000};
	RAW(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 5, &ts);
	RAW(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1);
	RAW(SYS_futex, (char *)&word + 1, FUTEX_WAKE_PRIVATE, 1);
	RAW(SYS_futex, &word, 99, 1);
	RAW(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 5, NULL, NULL, 0);
	RAW(SYS_futex, KERNEL_PTR, FUTEX_WAIT_PRIVATE, 0, NULL);
	struct timespec bad = {0, 1000000000};
	RAW(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 5, &bad);
	futexBitset();

	ok("gettid is the pid in the main thread", gettid() == getpid());
	R(syscall(SYS_set_tid_address, NULL) == gettid());
	R(sched_yield());
	cpu_set_t set;
	R(sched_getaffinity(0, sizeof set, &set));
	ok("CPU 0 in the affinity mask", CPU_ISSET(0, &set));
	RAW(SYS_sched_getaffinity, 0, 3, &set);
	RAW(SYS_sched_getaffinity, 999999, sizeof set, &set);
	RAW(SYS_set_robust_list, NULL, 7);
	// glibc registered rseq at startup: the same registration is EBUSY.
	RAW(SYS_rseq, NULL, 32, 0, 0);
	RAW(SYS_rseq, NULL, 32, 2, 0);
	return 0;
}
