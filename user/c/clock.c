// Clocks through the vDSO: a million reads that never enter the kernel and
// never go backwards, agreement with the system calls (a vDSO read, then
// the system call, then a vDSO read are in order), coarse clocks, and
// monotonic time across threads. It prints how many clock system calls it
// made itself, so that a test can check the kernel's counters saw no
// others.
#include "check.h"
#include <pthread.h>
#include <stdatomic.h>
#include <sys/time.h>
#include <time.h>

#define N 1000000

static long raw_clock_gettime, raw_gettimeofday, raw_time;

static int64_t ns(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }

static int64_t vdso_read(clockid_t clk) {
	struct timespec t;
	clock_gettime(clk, &t);
	return ns(t);
}

static int64_t sys_read(clockid_t clk) {
	struct timespec t;
	raw_clock_gettime++;
	syscall(SYS_clock_gettime, clk, &t);
	return ns(t);
}

static _Atomic int64_t shared_last;
static atomic_long cross_backwards;

// crossThreads reads CLOCK_MONOTONIC after seeing another thread's latest
// reading: the clock must not be behind it.
static void *crossThreads(void *arg) {
	(void)arg;
	for (int i = 0; i < 100000; i++) {
		int64_t seen = atomic_load(&shared_last);
		int64_t now = vdso_read(CLOCK_MONOTONIC);
		if (now < seen)
			atomic_fetch_add(&cross_backwards, 1);
		int64_t cur = atomic_load(&shared_last);
		while (cur < now && !atomic_compare_exchange_weak(&shared_last, &cur, now))
			;
	}
	return NULL;
}

int main(void) {
	// A million reads.
	int64_t prev = vdso_read(CLOCK_MONOTONIC);
	long backwards = 0;
	for (int i = 0; i < N; i++) {
		int64_t t = vdso_read(CLOCK_MONOTONIC);
		if (t < prev)
			backwards++;
		prev = t;
	}
	printf("%d CLOCK_MONOTONIC reads, backwards steps: %ld\n", N, backwards);
	int64_t rprev = vdso_read(CLOCK_REALTIME);
	backwards = 0;
	for (int i = 0; i < N / 10; i++) {
		int64_t t = vdso_read(CLOCK_REALTIME);
		if (t < rprev)
			backwards++;
		rprev = t;
	}
	printf("%d CLOCK_REALTIME reads, backwards steps: %ld\n", N / 10, backwards);

	// vDSO <= system call <= vDSO, clock by clock.
	const struct {
		clockid_t id;
		const char *name;
	} clocks[] = {
		{CLOCK_REALTIME, "CLOCK_REALTIME"}, {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
		{CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"}, {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
		{CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"}, {CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"},
	};
	for (unsigned c = 0; c < sizeof clocks / sizeof clocks[0]; c++) {
		int ordered = 1;
		for (int i = 0; i < 100; i++) {
			int64_t a = vdso_read(clocks[c].id), s = sys_read(clocks[c].id), b = vdso_read(clocks[c].id);
			ordered &= a <= s && s <= b;
		}
		printf("%s: vDSO <= syscall <= vDSO: %s\n", clocks[c].name, ordered ? "ok" : "FAIL");
	}
	int ordered = 1;
	for (int i = 0; i < 100; i++) {
		struct timeval a, s, b;
		gettimeofday(&a, NULL);
		raw_gettimeofday++;
		syscall(SYS_gettimeofday, &s, NULL);
		gettimeofday(&b, NULL);
		ordered &= timercmp(&a, &s, <=) && timercmp(&s, &b, <=);
		time_t ta = time(NULL);
		raw_time++;
		time_t ts = syscall(SYS_time, NULL);
		time_t tb = time(NULL);
		ordered &= ta <= ts && ts <= tb;
	}
	printf("gettimeofday and time: vDSO <= syscall <= vDSO: %s\n", ordered ? "ok" : "FAIL");

	// The coarse clocks lag the fine ones by about their resolution (the
	// tick). Never ahead; behind by more than two ticks only when the tick
	// itself came late, which a virtual CPU the host did not run for a
	// while shows (under TCG as under KVM): so some sample of twenty,
	// a millisecond apart, must be within two ticks.
	struct timespec res;
	clock_getres(CLOCK_MONOTONIC_COARSE, &res);
	int ahead = 0, within = 0;
	for (int i = 0; i < 20; i++) {
		int64_t fine = vdso_read(CLOCK_MONOTONIC), coarse = vdso_read(CLOCK_MONOTONIC_COARSE);
		ahead |= coarse > fine + ns(res);
		within |= fine - coarse <= 2 * ns(res);
		usleep(1000);
	}
	ok("CLOCK_MONOTONIC_COARSE within its resolution of CLOCK_MONOTONIC", !ahead && within);
	clock_getres(CLOCK_MONOTONIC, &res);
	printf("CLOCK_MONOTONIC resolution %ld ns\n", res.tv_nsec);

	// Two threads, each checking the other's latest reading.
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, crossThreads, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("across threads, backwards steps: %ld\n", atomic_load(&cross_backwards));

	// A clock the vDSO does not serve goes to the kernel (one system
	// call, counted below).
	struct timespec cpu;
	raw_clock_gettime++;
	ok("CLOCK_PROCESS_CPUTIME_ID through glibc", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0 && ns(cpu) > 0);

	printf("raw clock_gettime system calls: %ld\n", raw_clock_gettime);
	printf("raw gettimeofday system calls: %ld\n", raw_gettimeofday);
	printf("raw time system calls: %ld\n", raw_time);
	return 0;
}
