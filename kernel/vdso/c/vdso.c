/*
 * oyako's vDSO: the clock functions a program calls without entering the
 * kernel (arch/x86/entry/vdso in Linux). Time is computed from the TSC and
 * the vvar page the kernel keeps current; clocks this code does not serve
 * fall back to the real system call, as Linux's vDSO does.
 *
 * Built by qemu.BuildVDSO with gcc as a position-independent shared
 * object with no relocations, linked by vdso.lds (vvar page six pages before
 * the image) and exported under version LINUX_2.6 by vdso.map.
 */
#include <stddef.h>
#include <stdint.h>
#include "vvar.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7

#define NR_gettimeofday 96
#define NR_time 201
#define NR_clock_gettime 228
#define NR_clock_getres 229
#define NR_getcpu 309

#define NSEC_PER_SEC 1000000000LL

struct timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

struct timezone {
	int tz_minuteswest;
	int tz_dsttime;
};

/* vvar_page is placed by vdso.lds six pages before the image. */
extern const volatile struct oyako_vvar vvar_page __attribute__((visibility("hidden")));

#define barrier() __asm__ volatile("" ::: "memory")

static inline long syscall2(long nr, long a, long b) {
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static inline long syscall3(long nr, long a, long b, long c) {
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

/* rdtsc_ordered: LFENCE keeps the read from moving before earlier loads,
 * as Linux's rdtsc_ordered does. */
static inline uint64_t rdtsc_ordered(void) {
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

/* read_begin/read_retry are the reader side of the page's seqcount. */
static inline uint32_t read_begin(const volatile struct oyako_vvar *v) {
	uint32_t seq;
	while ((seq = v->seq) & 1)
		__asm__ volatile("pause");
	barrier();
	return seq;
}

static inline int read_retry(const volatile struct oyako_vvar *v, uint32_t seq) {
	barrier();
	return v->seq != seq;
}

/* now returns CLOCK_MONOTONIC in ns: from the TSC, or (coarse) as of the
 * kernel's last tick; realtime adds the offset to CLOCK_REALTIME. Called
 * with constant flags, it compiles to one specialized loop per clock. */
static inline int64_t now(int realtime, int coarse) {
	const volatile struct oyako_vvar *v = &vvar_page;
	uint32_t seq;
	int64_t ns;
	do {
		seq = read_begin(v);
		if (coarse) {
			ns = v->coarse_mono;
		} else {
			unsigned __int128 p = (unsigned __int128)(rdtsc_ordered() - v->tsc_base) * v->mult;
			ns = (int64_t)(uint64_t)(p >> v->shift);
		}
		if (realtime)
			ns += v->realtime_offset;
	} while (read_retry(v, seq));
	return ns;
}

static inline void to_timespec(int64_t ns, struct timespec *ts) {
	ts->tv_sec = ns / NSEC_PER_SEC;
	ts->tv_nsec = ns % NSEC_PER_SEC;
}

int __vdso_clock_gettime(int clock, struct timespec *ts) {
	switch (clock) {
	case CLOCK_REALTIME:
		to_timespec(now(1, 0), ts);
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_BOOTTIME:
		to_timespec(now(0, 0), ts);
		return 0;
	case CLOCK_REALTIME_COARSE:
		to_timespec(now(1, 1), ts);
		return 0;
	case CLOCK_MONOTONIC_COARSE:
		to_timespec(now(0, 1), ts);
		return 0;
	}
	return syscall2(NR_clock_gettime, clock, (long)ts);
}

int __vdso_clock_getres(int clock, struct timespec *res) {
	int64_t ns;
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_BOOTTIME:
		ns = 1;
		break;
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
		ns = vvar_page.coarse_res;
		break;
	default:
		return syscall2(NR_clock_getres, clock, (long)res);
	}
	if (res)
		to_timespec(ns, res);
	return 0;
}

int __vdso_gettimeofday(struct timeval *tv, struct timezone *tz) {
	if (tv) {
		int64_t ns = now(1, 0);
		tv->tv_sec = ns / NSEC_PER_SEC;
		tv->tv_usec = ns % NSEC_PER_SEC / 1000;
	}
	if (tz) {
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

/* __vdso_time is the coarse realtime clock's seconds, as time(2) is. */
long __vdso_time(long *t) {
	long sec = now(1, 1) / NSEC_PER_SEC;
	if (t)
		*t = sec;
	return sec;
}

int __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused) {
	(void)unused;
	unsigned aux = 0;
	if (vvar_page.flags & OYAKO_VVAR_RDTSCP) {
		uint32_t lo, hi;
		__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	}
	if (cpu)
		*cpu = aux & 0xfff;
	if (node)
		*node = aux >> 12;
	return 0;
}

/* The unprefixed names Linux's vDSO also exports. */
int clock_gettime(int, struct timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int clock_getres(int, struct timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
int gettimeofday(struct timeval *, struct timezone *) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
