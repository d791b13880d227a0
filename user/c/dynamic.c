// A dynamically linked program (gcc without -static: ld.so loads it and
// libc.so.6): the auxiliary vector the kernel gives ld.so, the objects
// ld.so mapped (the vDSO among them, found through AT_SYSINFO_EHDR),
// dlopen by name of libdyn.so (libdyn.c: constructor, destructor, its own
// TLS and dependency, a call back into the program) and dlopen's errors,
// threads with static and dynamic TLS, clock_gettime, gettimeofday and
// time through the vDSO (the test checks the kernel counted no such
// system call), and the program run again by fork and execve with
// LD_BIND_NOW and LD_LIBRARY_PATH set.
//
// Natively dlopen("libdyn.so") finds the library next to the program
// through DT_RUNPATH $ORIGIN (the test builds both into one directory); in
// oyako, where the program is /init, `-lib` put it in /usr/lib, a default
// directory of ld.so.
#include "check.h"
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <sys/wait.h>

// tls_main is the program's static TLS: every thread starts with 7.
static __thread int tls_main = 7;

// dyn_host is called back by libdyn (exported with -rdynamic).
int dyn_host(int x) {
	return x + 1;
}

extern char _start[];

// auxv checks what the kernel put in the auxiliary vector for a program
// with an interpreter (binfmt_elf's create_elf_tables).
static void auxv(void) {
	ok("AT_SYSINFO_EHDR set", getauxval(AT_SYSINFO_EHDR) != 0);
	ok("AT_BASE set", getauxval(AT_BASE) != 0);
	ok("AT_ENTRY is the program's _start", getauxval(AT_ENTRY) == (unsigned long)_start);
	ok("AT_PHENT is sizeof(Elf64_Phdr)", getauxval(AT_PHENT) == sizeof(Elf64_Phdr));
	printf("AT_SECURE: %lu\n", getauxval(AT_SECURE));
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	int interp = 0;
	for (unsigned long i = 0; ph && i < getauxval(AT_PHNUM); i++)
		if (ph[i].p_type == PT_INTERP)
			interp = 1;
	ok("AT_PHDR/AT_PHNUM hold PT_INTERP", interp);
	// ld.so's own ELF header is at AT_BASE.
	const Elf64_Ehdr *base = (const Elf64_Ehdr *)getauxval(AT_BASE);
	ok("AT_BASE is an ELF image", base && memcmp(base->e_ident, ELFMAG, SELFMAG) == 0);
}

// object prints one loaded object's base name ("" is the program).
static int object(struct dl_phdr_info *info, size_t size, void *data) {
	(void)size;
	const char *name = info->dlpi_name;
	const char *slash = strrchr(name, '/');
	printf("%s %s", *(int *)data ? "," : "", *name ? (slash ? slash + 1 : name) : "(program)");
	(*(int *)data)++;
	return 0;
}

static void objects(const char *when) {
	int n = 0;
	printf("objects %s:", when);
	dl_iterate_phdr(object, &n);
	printf("\n");
}

// afterPath is a dlerror message without the library's path it starts
// with (the path differs natively and in oyako).
static const char *afterPath(const char *msg) {
	const char *p = msg ? strstr(msg, ": ") : NULL;
	return p ? p + 2 : msg ? msg : "(null)";
}

static long (*dyn_count)(void);
static double (*dyn_math)(double);
static int (*dyn_call_host)(int);

enum { THREADS = 4, CALLS = 1000 };

static pthread_barrier_t barrier;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long total;

struct result {
	int tlsStart, tlsEnd;
	long count;
	char math[32];
};

static void *worker(void *arg) {
	struct result *r = arg;
	r->tlsStart = tls_main;
	pthread_barrier_wait(&barrier);
	long c = 0;
	for (int i = 0; i < CALLS; i++)
		c = dyn_count();
	r->count = c;
	tls_main += (int)(c % 1000) + 1;
	pthread_mutex_lock(&mu);
	total += c;
	pthread_mutex_unlock(&mu);
	pthread_barrier_wait(&barrier);
	r->tlsEnd = tls_main;
	snprintf(r->math, sizeof r->math, "%.6f", dyn_math(0.5));
	return NULL;
}

// early is a thread started before libdyn was loaded: its dynamic TLS
// block for libdyn is allocated when it first calls into the library.
static int earlyPipe[2];

static void *early(void *arg) {
	char c;
	if (read(earlyPipe[0], &c, 1) != 1)
		return NULL;
	long *r = arg;
	r[0] = dyn_count();
	r[1] = dyn_count();
	return NULL;
}

static void threads(void) {
	pthread_t th[THREADS];
	struct result res[THREADS] = {0};
	pthread_barrier_init(&barrier, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, worker, &res[i]) != 0)
			printf("pthread_create %d failed\n", i);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		printf("thread %d: tls_main %d -> %d, dyn_count %ld, dyn_math(0.5) %s\n", i, res[i].tlsStart, res[i].tlsEnd, res[i].count, res[i].math);
	}
	printf("threads: total %ld; main's tls_main %d, dyn_count %ld\n", total, tls_main, dyn_count());
}

// clocks reads the clocks through the vDSO; no system call is made.
static void clocks(void) {
	struct timespec prev, now;
	long backwards = 0;
	clock_gettime(CLOCK_MONOTONIC, &prev);
	for (int i = 0; i < 100000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec < prev.tv_sec || (now.tv_sec == prev.tv_sec && now.tv_nsec < prev.tv_nsec))
			backwards++;
		prev = now;
	}
	printf("clock_gettime(CLOCK_MONOTONIC): 100000 reads, %ld backwards\n", backwards);
	struct timespec rt;
	struct timeval tv;
	clock_gettime(CLOCK_REALTIME, &rt);
	gettimeofday(&tv, NULL);
	time_t t = time(NULL);
	ok("CLOCK_REALTIME, gettimeofday and time agree", tv.tv_sec - rt.tv_sec <= 1 && t - tv.tv_sec <= 1 && t >= rt.tv_sec);
}

// child is the program run again by execve, with LD_BIND_NOW and
// LD_LIBRARY_PATH in its environment.
static int child(void) {
	printf("child: LD_BIND_NOW=%s LD_LIBRARY_PATH=%s\n", getenv("LD_BIND_NOW"), getenv("LD_LIBRARY_PATH"));
	objects("in the child");
	void *h = dlopen("libdyn.so", RTLD_LAZY);
	printf("child: dlopen libdyn.so: %s\n", h ? "ok" : dlerror());
	if (h) {
		dyn_call_host = (int (*)(int))dlsym(h, "dyn_call_host");
		printf("child: dyn_call_host(20) = %d\n", dyn_call_host(20));
	}
	return 3;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child();

	auxv();
	objects("at start");
	pthread_t earlyThread;
	long earlyCounts[2] = {0, 0};
	if (pipe(earlyPipe) != 0 || pthread_create(&earlyThread, NULL, early, earlyCounts) != 0)
		printf("early thread: failed\n");

	// dlopen's errors, as dlerror words them.
	printf("dlopen libnope.so: %s\n", dlopen("libnope.so", RTLD_NOW) ? "ok" : dlerror());
	putFile("notelf.so", "not an ELF file, long enough to hold an ELF header and its identification\n");
	printf("dlopen ./notelf.so: %s\n", dlopen("./notelf.so", RTLD_NOW) ? "ok" : dlerror());
	unlink("notelf.so");

	void *h = dlopen("libdyn.so", RTLD_NOW);
	if (!h) {
		printf("dlopen libdyn.so: %s\n", dlerror());
		return 1;
	}
	printf("dlopen libdyn.so: ok\n");
	objects("after dlopen");
	dyn_count = (long (*)(void))dlsym(h, "dyn_count");
	dyn_math = (double (*)(double))dlsym(h, "dyn_math");
	dyn_call_host = (int (*)(int))dlsym(h, "dyn_call_host");
	ok("dlsym", dyn_count && dyn_math && dyn_call_host);
	printf("dlsym nope: %s\n", dlsym(h, "nope") ? "found" : afterPath(dlerror()));
	printf("dlopen libdyn.so again, RTLD_NOLOAD: %s\n", dlopen("libdyn.so", RTLD_NOW | RTLD_NOLOAD) == h ? "same handle" : "other");
	printf("dyn_call_host(20) = %d\n", dyn_call_host(20));
	printf("main: dyn_count %ld, tls_main %d\n", dyn_count(), tls_main);

	if (write(earlyPipe[1], "x", 1) != 1 || pthread_join(earlyThread, NULL) != 0)
		printf("early thread: failed\n");
	printf("early thread: dyn_count %ld, %ld\n", earlyCounts[0], earlyCounts[1]);
	threads();
	clocks();

	// The RTLD_NOLOAD dlopen took a reference: the first dlclose keeps
	// the library, the second runs its destructor and unmaps it.
	int r = dlclose(h);
	printf("dlclose: %d, still loaded: %s\n", r, dlopen("libdyn.so", RTLD_NOW | RTLD_NOLOAD) == h ? "yes" : "no");
	dlclose(h);
	r = dlclose(h);
	printf("dlclose: %d, still loaded: %s\n", r, dlopen("libdyn.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
	objects("after dlclose");

	pid_t pid = pfork();
	if (pid == 0) {
		char *args[] = {argv[0], "child", NULL};
		char *env[] = {"LD_BIND_NOW=1", "LD_LIBRARY_PATH=/nonexistent:/tmp", "PATH=/usr/bin:/bin", NULL};
		execve("/proc/self/exe", args, env);
		show("execve", -1);
		_exit(127);
	}
	reap("child", pid);
	return 0;
}
