# oyako: make qemu boots the demo, make test runs everything.
# Both install what they need first (QEMU and gdb from Debian).

GO ?= go
OYAKO = $(GO) run ./cmd/oyako
# Arguments for the kernel command line (make qemu ARGS="crash=panic").
ARGS ?=
# NET gives the guest a network (eth0 on QEMU's user network): NET=on, or
# host ports to forward, NET=8080:80 or NET=8080:80,5353:53/udp.
NET ?=
comma := ,
NETFLAGS = $(if $(NET),$(if $(filter on,$(NET)),-net,$(foreach f,$(subst $(comma), ,$(NET)),-p $(f))))

.PHONY: all build qemu run bench bench-linux fuzz profile test unit check gdb deps test-deps apt clean

all: build

# deps installs what the build and the tests need from Debian when it is
# missing: QEMU and gdb (make qemu, make gdb) and gcc (the vDSO is C); and
# for make test the static C library, liburing's static library (the
# io_uring programs), Debian's busybox-static and strace (the conformance
# suite runs the same binaries on Linux and on oyako).
deps:
	@missing=""; \
	command -v qemu-system-x86_64 >/dev/null 2>&1 || missing="$$missing qemu-system-x86"; \
	command -v gdb >/dev/null 2>&1 || missing="$$missing gdb"; \
	command -v gcc >/dev/null 2>&1 || missing="$$missing gcc"; \
	dpkg-query -W -f='$${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" || missing="$$missing busybox-static"; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt PKGS="$$missing"; fi

test-deps: deps
	@missing=""; \
	[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || missing="$$missing libc6-dev"; \
	command -v strace >/dev/null 2>&1 || missing="$$missing strace"; \
	[ -e /usr/lib/x86_64-linux-gnu/liburing.a ] || missing="$$missing liburing-dev"; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt PKGS="$$missing"; fi

apt:
	@echo "installing: $(strip $(PKGS))"; \
	SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(PKGS) >/dev/null

build:
	$(OYAKO) build

# qemu builds the kernel and boots it into busybox sh (ARGS=selfcheck:
# the kernel's self-check instead); leaving the shell powers off.
# USERLAND=debian boots into this host's own dynamically linked bash,
# coreutils, grep, sed, find, tar, gzip, less, ps, ... (busybox stays as
# /bin/busybox); LIBS adds host libraries (to /usr/lib too).
# make qemu [USERLAND=debian] [LIBS="path..."] [NET=on|HOSTPORT:GUESTPORT,...]
USERLAND ?=
LIBS ?=
LIBFLAGS = $(foreach l,$(LIBS),-lib $(l))
qemu: deps
	$(OYAKO) qemu $(if $(USERLAND),-userland $(USERLAND)) $(LIBFLAGS) $(NETFLAGS) $(ARGS)

# run boots ELF as /init with ARGS as its arguments and prints what it
# writes to the console; the exit status is the program's. A dynamically
# linked ELF gets its libraries from this host; LIBS are libraries it
# dlopens (added at their paths and in /usr/lib).
# make run ELF=./hello ARGS="a b" [ROOTFS=dir] [LIBS="path..."] [RUNFLAGS="-strace -v"] [NET=8080:80]
run: deps
	@[ -n "$(ELF)" ] || { echo "usage: make run ELF=path [ARGS=...] [ROOTFS=dir] [LIBS=path...] [RUNFLAGS=-strace] [NET=on|HOSTPORT:GUESTPORT,...]"; exit 2; }
	@$(OYAKO) run $(RUNFLAGS) $(NETFLAGS) $(if $(ROOTFS),-rootfs $(ROOTFS)) $(LIBFLAGS) $(ELF) $(ARGS)

# bench runs the benchmarks natively and in oyako, side by side.
bench: test-deps
	$(OYAKO) bench

# bench-linux boots the benchmark program as /init on Debian's Linux
# cloud kernel (fetched once into build/linux with apt-get download) and
# on oyako, under the same QEMU flags, and prints one table of both with
# the ratio oyako/Linux. make bench-linux [ITER=iterations per round]
bench-linux: test-deps
	$(OYAKO) bench-linux $(if $(ITER),-n $(ITER))

# fuzz runs the ring-3 system call fuzzer (user/c/fuzz.c) in one boot and
# prints its report and the kernel's per-call counts and errnos.
# make fuzz [N=1000000] [SEED=...] [FUZZFLAGS="-only 232,233 -v"]
N ?= 1000000
fuzz: test-deps
	$(OYAKO) fuzz -n $(N) $(if $(SEED),-seed $(SEED)) -- $(FUZZFLAGS)

# profile counts, by single-stepping under gdb, the kernel instructions of
# one getpid round trip (and of a 1-byte read and write) by part and by
# function, and the expensive ones (README "Profiling the system call path").
profile: test-deps
	$(OYAKO) profile $(if $(FUNCS),-funcs $(FUNCS))

# gdb boots the kernel halted and attaches gdb with its symbols.
gdb: deps
	$(OYAKO) gdb $(ARGS)

# test: formatting and vet, host unit tests, QEMU integration tests
# (qemu/), all with timeouts.
test: test-deps check
	$(GO) test -count=1 -timeout 15m ./...

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -short -timeout 5m ./...

clean:
	rm -rf build
