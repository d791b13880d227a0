// libdyn.so: the shared library that dynamic.c loads with dlopen by name
// (given to oyako with -lib, found natively through the program's
// DT_RUNPATH $ORIGIN). It has what a real library has: a constructor and a
// destructor, thread-local storage of its own (dynamic TLS, which
// __tls_get_addr allocates per thread on first use, for threads that
// existed before the library was loaded too), a dependency of its own
// (libm.so.6, whose exp and sin are ifuncs that ld.so resolves by CPUID),
// and a call back into the program that loaded it (a symbol the program
// exports with -rdynamic).
#include <math.h>
#include <stdio.h>

static __thread long calls = 100; // each thread's own count, from 100

__attribute__((constructor)) static void dyn_init(void) {
	printf("libdyn: constructor\n");
}

__attribute__((destructor)) static void dyn_fini(void) {
	printf("libdyn: destructor\n");
}

// dyn_count counts the calling thread's calls: 101, 102, ...
long dyn_count(void) {
	return ++calls;
}

// dyn_math returns exp(x) + sin(x), from libm.
double dyn_math(double x) {
	return exp(x) + sin(x);
}

// dyn_host is defined by the program (dynamic.c).
extern int dyn_host(int);

// dyn_call_host calls the program's dyn_host.
int dyn_call_host(int x) {
	return 2 * dyn_host(x);
}
