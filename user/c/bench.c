// Microbenchmarks for make bench: each line is
//
//	bench NAME CYCLES_PER_OP NS_PER_OP
//
// with the median over rounds of TSC cycles and nanoseconds per operation.
// The same binary runs natively and in oyako, so the numbers compare side
// by side. An optional argument scales the iteration count (tests pass a
// small one to check that the benchmark runs at all).
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

#define ROUNDS 9

static long iterations = 200000;

// raw0 makes system call nr with no arguments, without glibc's wrapper.
static inline long raw0(long nr) {
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"(nr) : "rcx", "r11", "memory");
	return r;
}

static uint64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

typedef void (*op_fn)(long n);

static void run(const char *name, op_fn op) {
	double cyc[ROUNDS], ns[ROUNDS];
	op(iterations / 10); // warm up
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = now_ns();
		uint64_t c0 = __rdtsc();
		op(iterations);
		uint64_t c1 = __rdtsc();
		uint64_t t1 = now_ns();
		cyc[r] = (double)(c1 - c0) / iterations;
		ns[r] = (double)(t1 - t0) / iterations;
	}
	qsort(cyc, ROUNDS, sizeof cyc[0], cmp);
	qsort(ns, ROUNDS, sizeof ns[0], cmp);
	printf("bench %s %.1f %.1f\n", name, cyc[ROUNDS / 2], ns[ROUNDS / 2]);
}

static void op_getpid(long n) {
	for (long i = 0; i < n; i++)
		raw0(39); // getpid
}

// raw2 makes system call nr with two arguments.
static inline long raw2(long nr, long a, long b) {
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

static void op_clock_gettime_vdso(long n) {
	struct timespec ts;
	for (long i = 0; i < n; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts); // glibc calls the vDSO
}

static void op_clock_gettime_syscall(long n) {
	struct timespec ts;
	for (long i = 0; i < n; i++)
		raw2(228, CLOCK_MONOTONIC, (long)&ts); // clock_gettime
}

static void op_enosys(long n) {
	for (long i = 0; i < n; i++)
		raw0(1000); // above the table: ENOSYS
}

int main(int argc, char **argv) {
	if (argc > 1)
		iterations = atol(argv[1]);
	if (iterations < 10)
		iterations = 10;
	run("getpid", op_getpid);
	run("enosys", op_enosys);
	run("clock_gettime-vdso", op_clock_gettime_vdso);
	run("clock_gettime-syscall", op_clock_gettime_syscall);
	return 0;
}
