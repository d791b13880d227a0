// timerfd: timerfd_create's checks, relative and absolute (TFD_TIMER_ABSTIME)
// one-shot timers, periodic timers and the expiration count a read
// returns (periods missed before the read included), timerfd_gettime,
// disarming, O_NONBLOCK's EAGAIN, a blocking read, a read interrupted
// by a handler, poll and epoll readiness, fdinfo, and the checks of
// timerfd_settime and timerfd_gettime.
//
// Times are printed as comparisons only.
#include "check.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/timerfd.h>

#define MS 1000000L

static long ns_of(struct timespec ts) { return ts.tv_sec * 1000000000 + ts.tv_nsec; }

static long arm(int fd, int flags, long value, long interval) {
	struct itimerspec its = {{interval / 1000000000, interval % 1000000000}, {value / 1000000000, value % 1000000000}};
	return timerfd_settime(fd, flags, &its, NULL);
}

static long readCount(int fd) {
	uint64_t n = 0;
	long r = read(fd, &n, sizeof n);
	return r == 8 ? (long)n : r;
}

static const char *revents(short r) {
	return r == POLLIN ? "POLLIN" : r == 0 ? "0" : "other";
}

static void on_alarm(int sig) { (void)sig; }

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("-- timerfd_create\n");
	R(timerfd_create(99, 0));
	R(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
	R(timerfd_create(CLOCK_MONOTONIC_RAW, 0));
	R(timerfd_create(CLOCK_MONOTONIC, 4));
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ok("CLOCK_MONOTONIC", fd >= 0);
	R(fcntl(fd, F_GETFD));
	R(fcntl(fd, F_GETFL) & O_ACCMODE);
	int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	R(fcntl(rt, F_GETFL) & O_NONBLOCK);
	int bt = timerfd_create(CLOCK_BOOTTIME, 0);
	ok("CLOCK_BOOTTIME", bt >= 0);

	printf("-- a new timer\n");
	struct itimerspec cur;
	R(timerfd_gettime(fd, &cur));
	printf("value %ld interval %ld\n", ns_of(cur.it_value), ns_of(cur.it_interval));
	R(fcntl(fd, F_SETFL, O_NONBLOCK));
	R(readCount(fd));
	char small[4];
	R(read(fd, small, sizeof small));
	R(write(fd, "12345678", 8));

	printf("-- one-shot\n");
	R(arm(fd, 0, 20 * MS, 0));
	timerfd_gettime(fd, &cur);
	ok("gettime counts down from 20 ms", ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 20 * MS);
	struct pollfd pfd = {fd, POLLIN, 0};
	R(poll(&pfd, 1, 0));
	R(poll(&pfd, 1, 1000));
	printf("revents %s\n", revents(pfd.revents));
	R(readCount(fd));
	R(readCount(fd));
	timerfd_gettime(fd, &cur);
	printf("after it fired: value %ld interval %ld\n", ns_of(cur.it_value), ns_of(cur.it_interval));

	printf("-- absolute\n");
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	R(arm(fd, TFD_TIMER_ABSTIME, ns_of(now) + 10 * MS, 0));
	R(fcntl(fd, F_SETFL, 0)); // blocking
	R(readCount(fd));
	R(arm(fd, TFD_TIMER_ABSTIME, 1, 0)); // long past: at once
	R(readCount(fd));
	clock_gettime(CLOCK_REALTIME, &now);
	R(arm(rt, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, ns_of(now) + 10 * MS, 0));
	usleep(30000);
	R(readCount(rt));

	printf("-- periodic\n");
	R(arm(fd, 0, 10 * MS, 10 * MS));
	usleep(55000);
	long n = readCount(fd);
	printf("after 55 ms: at least 5 expirations %d\n", n >= 5);
	timerfd_gettime(fd, &cur);
	ok("value within the interval", ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 10 * MS);
	printf("interval %ld ms\n", ns_of(cur.it_interval) / MS);
	n = readCount(fd); // blocks for the next one
	printf("next read: at least 1 %d\n", n >= 1);
	// The old setting comes back; a zero value disarms and clears the
	// count.
	usleep(25000);
	struct itimerspec zero = {0}, old;
	R(timerfd_settime(fd, 0, &zero, &old));
	printf("old interval %ld ms, old value within it %d\n", ns_of(old.it_interval) / MS,
	       ns_of(old.it_value) >= 0 && ns_of(old.it_value) <= 10 * MS);
	R(fcntl(fd, F_SETFL, O_NONBLOCK));
	R(readCount(fd));

	printf("-- epoll\n");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
	R(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	R(epoll_wait(ep, &ev, 1, 0));
	R(arm(fd, 0, 10 * MS, 0));
	R(epoll_wait(ep, &ev, 1, 1000));
	printf("events %#x data %u\n", ev.events, ev.data.u32);
	R(readCount(fd));
	R(epoll_wait(ep, &ev, 1, 0));
	close(ep);

	printf("-- a handler interrupts a blocking read\n");
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	R(fcntl(fd, F_SETFL, 0));
	R(arm(fd, 0, 5000 * MS, 0));
	setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 20000}}, NULL);
	R(readCount(fd));
	R(arm(fd, 0, 0, 0));

	printf("-- fdinfo\n");
	R(arm(fd, 0, 100000 * MS, 2 * MS));
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	int info = open(path, O_RDONLY);
	long len = read(info, buf, sizeof buf - 1);
	close(info);
	buf[len > 0 ? len : 0] = 0;
	// The lines after the common ones, values hidden.
	char *p = strstr(buf, "clockid:");
	for (char *line = p; line && *line;) {
		char *end = strchr(line, '\n');
		int k = (int)(strchr(line, ':') - line);
		printf("%.*s\n", k, line);
		line = end ? end + 1 : NULL;
	}
	printf("ticks: %ld\n", procField(path, "ticks:"));

	printf("-- timerfd_settime and timerfd_gettime's checks\n");
	struct itimerspec bad = {{0, 0}, {0, 1000000000}};
	R(timerfd_settime(fd, 0, &bad, NULL));
	R(timerfd_settime(fd, 4, &zero, NULL));
	R(timerfd_settime(fd, 4, (void *)16, NULL));
	R(timerfd_settime(99, 0, &zero, NULL));
	R(timerfd_settime(1, 0, &zero, NULL));
	R(timerfd_settime(99, 0, &bad, NULL));
	R(timerfd_settime(fd, 0, &zero, KERNEL_PTR));
	R(timerfd_gettime(fd, KERNEL_PTR));
	R(timerfd_gettime(99, &cur));
	R(timerfd_gettime(1, &cur));
	close(fd);
	close(rt);
	close(bt);
	return 0;
}
