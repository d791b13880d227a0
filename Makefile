# oyako: make qemu boots the demo, make test runs everything.
# Both install what they need first (QEMU and gdb from Debian).

GO ?= go
OYAKO = $(GO) run ./cmd/oyako
# Arguments for the kernel command line (make qemu ARGS="crash=panic").
ARGS ?=

.PHONY: all build qemu test unit check gdb deps clean

all: build

# deps installs Debian's QEMU and gdb when they are missing.
deps:
	@missing=""; \
	command -v qemu-system-x86_64 >/dev/null 2>&1 || missing="$$missing qemu-system-x86"; \
	command -v gdb >/dev/null 2>&1 || missing="$$missing gdb"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build:
	$(OYAKO) build

# qemu builds the kernel and boots it: banner, self-check, power off.
qemu: deps
	$(OYAKO) qemu $(ARGS)

# gdb boots the kernel halted and attaches gdb with its symbols.
gdb: deps
	$(OYAKO) gdb $(ARGS)

# test: formatting and vet, host unit tests, QEMU integration tests
# (qemu/), all with timeouts.
test: deps check
	$(GO) test -timeout 15m ./...

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -short -timeout 5m ./...

clean:
	rm -rf build
