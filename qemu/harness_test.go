package qemu

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce  sync.Once
	builtImage string
	buildErr   error
	// tempDirs are removed when the tests end.
	tempDirs []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// kernelImage builds the kernel once per test binary.
func kernelImage(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("QEMU test skipped in -short mode")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "oyako-test-build-")
		if err != nil {
			buildErr = err
			return
		}
		tempDirs = append(tempDirs, dir)
		builtImage, buildErr = BuildKernel(dir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtImage
}

// boot runs the kernel with the given command line and returns the result;
// a harness error fails the test.
func boot(t *testing.T, cmdline string, timeout time.Duration) *Result {
	t.Helper()
	res, err := Run(context.Background(), Config{Kernel: kernelImage(t), Append: cmdline, Timeout: timeout})
	if err != nil {
		t.Fatalf("boot %q: %v", cmdline, err)
	}
	return res
}

func mustContain(t *testing.T, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(out) {
			t.Errorf("output does not match %q", p)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

func TestArgs(t *testing.T) {
	a := strings.Join(Args(&Config{Kernel: "k.elf", Append: "quiet x=1", Initrd: "i.cpio", GDBPort: 1234}, "/tmp/s"), " ")
	for _, want := range []string{
		"-machine microvm", "-m 128M", "-accel tcg", "-cpu max", "-kernel k.elf", "-append quiet x=1",
		"-initrd i.cpio", "isa-debug-exit,iobase=0xf4,iosize=0x04", "path=/tmp/s", "-gdb tcp:127.0.0.1:1234 -S", "-no-reboot",
	} {
		if !strings.Contains(a, want) {
			t.Errorf("args %q lack %q", a, want)
		}
	}
	if k := strings.Join(Args(&Config{Kernel: "k", KVM: true, Machine: "q35", Memory: "1G"}, "s"), " "); !strings.Contains(k, "-accel kvm -cpu host") || !strings.Contains(k, "-machine q35") || !strings.Contains(k, "-m 1G") {
		t.Errorf("KVM/q35 args: %q", k)
	}
}

func TestParseExit(t *testing.T) {
	if parseExit([]byte("noise\noyako-exit 0\n")) != 0 || parseExit([]byte("oyako-exit 139\n")) != 139 || parseExit(nil) != -1 {
		t.Fatal("parseExit")
	}
}

// TestBootSelfCheck is make qemu's demo: banner, self-check, status 0,
// with 128 MiB of RAM.
func TestBootSelfCheck(t *testing.T) {
	res := boot(t, "", 3*time.Minute)
	out := string(res.Serial)
	if res.Status != 0 {
		t.Fatalf("status %d\n%s", res.Status, out)
	}
	mustContain(t, out,
		`oyako: boot: [0-9.]+ ms from the PVH entry to Go main`,
		`oyako: RAM: 12[0-9] MiB in the memory map`,
		`oyako: CPU: \w+ ".*" family \d+`,
		`oyako: CPU features: .*sse2.*nx`,
		`oyako: TSC: [0-9.]+ MHz, calibrated by`,
		`self-check: 1000 goroutines passed`,
		`self-check: goroutines ok`,
		`self-check: timers fired in order: \[after-20ms@\S+ tick-1@\S+ sleep-40ms@\S+ tick-2@\S+ sleep-60ms@\S+ tick-3@\S+\]`,
		`self-check: gc: allocated (5[1-9][0-9]|[6-9][0-9][0-9]) MiB \(4x RAM\)`,
		`self-check: a 50ms timer fired after \S+ while a locked thread spun \d+ times`,
		`self-check: syscalls ok`,
		`(?m)^self-check ok \(checks took \S+; \d+ ms since the PVH entry; peak memory \d+ MiB\)`,
		`oyako: runtime service: syscall 500 not implemented: ENOSYS`,
		`oyako: shutdown: runtime services: \d+ calls, 2 unserved`,
	)
}

// TestCrashReports boots each deliberate crash and checks the report.
func TestCrashReports(t *testing.T) {
	regs := []string{`RIP: 0010:ffffffff8[0-9a-f]{7}`, `RSP: [0-9a-f]{4}:[0-9a-f]{16}`, `CR2: `, `CR3: `, `RAX: `, `RBX: `, `RCX: `, `RDX: `,
		`RSI: `, `RDI: `, `RBP: `, `R8 : `, `R9 : `, `R10: `, `R11: `, `R12: `, `R13: `, `R14: `, `R15: `, `Code: [0-9a-f]{2}( [0-9a-f]{2})+`}
	cases := []struct {
		kind   string
		status int
		want   []string
	}{
		{"pagefault", 2, append([]string{
			`kernel crash: #PF page fault \(vector 14\), error code 0x2 \[page not present, write, kernel mode\]`,
			`CR2: 00000000dead0000`,
			`faulting instruction: mov qword ptr \[rax\], 0x1234`,
			`in Go function oyako/kernel.crashPageFault\+0x0 \(.*crashtest.go:\d+\)`,
			`panic: oyako: kernel fault: #PF page fault`,
			`goroutine 1 .*\[running\]`, `oyako/kernel.Crash\(`, `main.main\(\)`,
		}, regs...)},
		{"gp", 2, append([]string{
			`kernel crash: #GP general protection \(vector 13\), error code 0x0`,
			`RAX: 8000000000000000`,
			`faulting instruction: mov qword ptr \[rax\], 0x1`,
			`in Go function oyako/kernel.crashGP\+`,
			`panic: oyako: kernel fault: #GP general protection`,
		}, regs...)},
		{"ud", 2, append([]string{
			`kernel crash: #UD invalid opcode \(vector 6\)`,
			`Code: 0f 0b`,
			`faulting instruction: ud2`,
			`in Go function oyako/amd64.Ud2\+0x0`,
			`panic: oyako: kernel fault: #UD invalid opcode`,
		}, regs...)},
		{"panic", 2, []string{
			`panic: assignment to entry in nil map`,
			`goroutine 1 .*\[running\]`,
			`oyako/kernel.crashPanic\(\)`,
			`oyako: the kernel's Go runtime exited with status 2`,
		}},
		{"service", 2, append([]string{
			`kernel crash: #PF page fault \(vector 14\).*\[page not present, read, kernel mode\]`,
			`the fault is in a runtime service \(system call 13\); reporting from the goroutine that called it`,
			`faulting instruction: `,
			`in Go function oyako/kernel.svcRtSigaction\+`,
			`syscall.RawSyscall6`,
		}, regs...)},
		{"irq", 3, append([]string{
			`kernel crash: #PF page fault \(vector 14\), error code 0x2`,
			`CR2: 00000000dead1000`,
			`no Go context to finish the report from`,
		}, regs...)},
	}
	image := kernelImage(t)
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			t.Parallel()
			res, err := Run(context.Background(), Config{Kernel: image, Append: "crash=" + c.kind, Timeout: 2 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			out := string(res.Serial)
			if res.Status != c.status {
				t.Errorf("status %d, want %d", res.Status, c.status)
			}
			mustContain(t, out, c.want...)
			if c.kind == "irq" {
				// The host finishes what the kernel could not.
				dec := strings.Join(DecodeCrash(res.Serial, image), "\n")
				mustContain(t, dec,
					`faulting instruction: mov qword ptr \[rax\], 0x1234`,
					`in Go function oyako/kernel.crashPageFault\+0x0 \(.*crashtest.go:\d+\)`)
			} else if dec := DecodeCrash(res.Serial, image); len(dec) != 0 {
				t.Errorf("host decoded a report the kernel finished: %q", dec)
			}
		})
	}
}

// TestHangIsKilled: a kernel that never finishes is killed at the timeout
// and the error shows the tail of its serial log.
func TestHangIsKilled(t *testing.T) {
	image := kernelImage(t)
	res, err := Run(context.Background(), Config{Kernel: image, Append: "crash=hang", Timeout: 20 * time.Second})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("want a timeout, got %v", err)
	}
	if !strings.Contains(err.Error(), "oyako: crashing on purpose: hang") {
		t.Errorf("timeout error lacks the serial tail:\n%v", err)
	}
	if res == nil || res.Status != -1 {
		t.Errorf("a killed kernel has no exit status: %+v", res)
	}
}

// TestGDB drives gdb in batch mode: a breakpoint on a Go function of the
// kernel is hit and the backtrace shows Go frames.
func TestGDB(t *testing.T) {
	image := kernelImage(t)
	var out strings.Builder
	_, err := GDB(context.Background(), GDBConfig{
		Boot: Config{Kernel: image, Timeout: 2 * time.Minute},
		Commands: []string{
			"break 'oyako/kernel.Start'",
			"continue",
			"bt",
			"info goroutines",
			"kill",
		},
		Batch:  true,
		Stdout: &out,
		Stderr: &out,
	})
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out.String())
	}
	mustContain(t, out.String(),
		`Breakpoint 1 at 0xffffffff8[0-9a-f]+: file .*kernel/start.go`,
		`Breakpoint 1, oyako/kernel.Start \(\) at .*kernel/start.go:\d+`,
		`#0\s+oyako/kernel.Start \(\)`,
		`#1\s+0x[0-9a-f]+ in main.main \(\) at .*cmd/oyako-kernel/main.go:\d+`,
		`\* 1 running`,
	)
}

func TestBuildKernelImage(t *testing.T) {
	image := kernelImage(t)
	if _, err := os.Stat(filepath.Join(filepath.Dir(image), "kernel.elf")); err != nil {
		t.Fatal(err)
	}
}
