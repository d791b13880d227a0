package qemu

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// procfsScript sets up processes in known states (a sleeping one, a
// stopped one, a zombie and a three-thread one), then runs busybox ps,
// free, uptime and top and reads their /proc files. The zombie is a
// "sleep 1" whose shell has exec'd a sleep that never waits for it (the
// shell itself would reap a child that ended before the exec).
const procfsScript = `cd /
/napping 3 &
M=$!
sleep 100 &
S=$!
sh -c 'sleep 1 & echo $! > /tmp/zpid; exec sleep 100' &
P=$!
sh -c 'kill -STOP $$' &
T=$!
i=0
while [ $i -lt 200 ]; do
	if [ -s /tmp/zpid ] && grep -q '^State:.T' /proc/$T/status && grep -q '^State:.Z' /proc/$(cat /tmp/zpid)/status &&
		[ "$(ls /proc/$M/task | wc -l)" = 3 ] && grep -q '^State:.S' /proc/$M/status && grep -q '^State:.S' /proc/$S/status &&
		grep -q '^State:.S' /proc/$P/status; then
		break
	fi
	sleep 0.1
	i=$((i+1))
done
Z=$(cat /tmp/zpid)
echo "pids $$ $S $P $T $Z $M"
echo "== ps"
ps
echo "== ps -o"
ps -o pid,ppid,pgid,stat,comm
echo "== free"
free
grep MemTotal /proc/meminfo
echo "== uptime"
uptime
echo "== top"
top -n 1 -b
echo "== status"
cat /proc/self/status
echo "== stat"
cat /proc/$S/stat /proc/$T/stat /proc/$Z/stat
echo "== napping"
grep Threads /proc/$M/status
ls -1 /proc/$M/task
for t in $(ls /proc/$M/task); do cat /proc/$M/task/$t/stat; done
echo "== hostname"
hostname oyako-test
hostname
cat /proc/sys/kernel/hostname
uname -n
echo "== loadavg"
cat /proc/loadavg
kill -9 $S $P $M $T
echo "== end"
`

// TestProcfsBusybox runs busybox's process and memory tools in oyako
// and checks what they show against the processes the script made: the
// same columns as on Linux, and the values that can be known (IDs,
// parents, states, names, thread counts, sizes that must agree).
func TestProcfsBusybox(t *testing.T) {
	root, dir := userPrograms(t)
	napping, err := BuildUserC(root, dir, "napping")
	if err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"tmp", "etc"} {
		os.MkdirAll(filepath.Join(rootfs, d), 0o755)
	}
	copyFile := func(src, dst string, mode os.FileMode) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, mode); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(napping, filepath.Join(rootfs, "napping"), 0o755)
	for _, f := range []string{"passwd", "group"} {
		copyFile(filepath.Join(root, "user", "rootfs", "etc", f), filepath.Join(rootfs, "etc", f), 0o644)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "procfs.sh"), []byte(procfsScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := RunOyako(context.Background(), kernelImage(t), Case{Program: busybox(t), Args: []string{"sh", "/procfs.sh"}, Rootfs: rootfs}, 3*time.Minute)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.Output)
	}
	text := string(out.Output)
	defer func() {
		if t.Failed() {
			t.Logf("output:\n%s", text)
		}
	}()
	if out.Status != 0 {
		t.Fatalf("status %d", out.Status)
	}
	sections := map[string]string{}
	for _, s := range strings.Split(text, "\n== ")[1:] {
		name, body, _ := strings.Cut(s, "\n")
		sections[name] = body
	}
	m := regexp.MustCompile(`(?m)^pids (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no pids line")
	}
	sh, sleeper, parent, stopped, zombie, napper := m[1], m[2], m[3], m[4], m[5], m[6]
	has := func(section, re string) {
		t.Helper()
		if !regexp.MustCompile(`(?m)` + re).MatchString(sections[section]) {
			t.Errorf("%s: no line matching %s", section, re)
		}
	}

	has("ps", `^PID\s+USER\s+COMMAND$`)
	has("ps", `^\s*`+sh+`\s+root\s+\{init\} busybox sh /procfs.sh$`)
	has("ps", `^\s*`+sleeper+`\s+root\s+sleep 100$`)
	has("ps", `^\s*`+stopped+`\s+root\s+sh -c kill -STOP \$\$$`)
	has("ps", `^\s*`+zombie+`\s+root\s+\[sleep\]$`)
	has("ps", `^\s*`+napper+`\s+root\s+/napping 3$`)

	has("ps -o", `^PID\s+PPID\s+PGID\s+STAT\s+COMMAND$`)
	has("ps -o", `^\s*`+sh+`\s+0\s+`+sh+`\s+S\s+init$`)
	has("ps -o", `^\s*`+sleeper+`\s+`+sh+`\s+`+sh+`\s+S\s+sleep$`)
	has("ps -o", `^\s*`+parent+`\s+`+sh+`\s+`+sh+`\s+S\s+sleep$`)
	has("ps -o", `^\s*`+stopped+`\s+`+sh+`\s+`+sh+`\s+T\s+sh$`)
	has("ps -o", `^\s*`+zombie+`\s+`+parent+`\s+`+sh+`\s+Z\s+sleep$`)
	has("ps -o", `^\s*`+napper+`\s+`+sh+`\s+`+sh+`\s+S\s+napping$`)
	has("ps -o", `^\s*\d+\s+`+sh+`\s+`+sh+`\s+R\s+ps$`)

	has("free", `^\s+total\s+used\s+free\s+shared\s+buff/cache\s+available$`)
	has("free", `^Swap:\s+0\s+0\s+0$`)
	if f := regexp.MustCompile(`(?m)^Mem:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$`).FindStringSubmatch(sections["free"]); f == nil {
		t.Error("free: no Mem line")
	} else if mt := regexp.MustCompile(`MemTotal:\s+(\d+) kB`).FindStringSubmatch(sections["free"]); mt == nil || mt[1] != f[1] {
		t.Errorf("free's total %s is not MemTotal %v", f[1], mt)
	} else if total, used, free, cache := atoi(f[1]), atoi(f[2]), atoi(f[3]), atoi(f[5]); used+free+cache != total || used <= 0 {
		t.Errorf("free: used %d + free %d + buff/cache %d != total %d", used, free, cache, total)
	}

	has("uptime", `^\s*\d\d:\d\d:\d\d up\s+\S.*,\s+\d+ users?,\s+load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d$`)

	has("top", `^Mem: \d+K used, \d+K free, \d+K shrd, \d+K buff, \d+K cached$`)
	has("top", `^CPU:\s+\d+% usr\s+\d+% sys\s+\d+% nic\s+\d+% idle\s+\d+% io\s+\d+% irq\s+\d+% sirq$`)
	has("top", `^Load average: \d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+$`)
	has("top", `^\s*PID\s+PPID\s+USER\s+STAT\s+VSZ\s+%VSZ\s+%CPU\s+COMMAND$`)
	has("top", `^\s*`+sleeper+`\s+`+sh+`\s+root\s+S\s+[1-9]\d*\s+\d+%\s+\d+%\s+sleep 100$`)
	has("top", `^\s*`+stopped+`\s+`+sh+`\s+root\s+T\s+[1-9]\d*\s+\d+%\s+\d+%\s+sh -c kill -STOP \$\$$`)
	has("top", `^\s*`+zombie+`\s+`+parent+`\s+root\s+Z\s+0\s+0%\s+\d+%\s+\[sleep\]$`)
	has("top", `^\s*\d+\s+`+sh+`\s+root\s+R\s+[1-9]\d*\s+\d+%\s+\d+%\s+top -n 1 -b$`)

	has("status", `^Name:\tcat$`)
	has("status", `^State:\tR \(running\)$`)
	has("status", `^PPid:\t`+sh+`$`)
	has("status", `^Threads:\t1$`)
	has("status", `^Uid:\t0\t0\t0\t0$`)
	has("status", `^VmRSS:\s+[1-9]\d* kB$`)
	has("status", `^SigQ:\t0/\d+$`)
	has("status", `^voluntary_ctxt_switches:\t\d+$`)

	stats := map[string][]string{}
	for _, l := range strings.Split(sections["stat"]+"\n"+sections["napping"], "\n") {
		if i := strings.LastIndexByte(l, ')'); i > 0 {
			f := append(strings.Fields(l[:strings.IndexByte(l, ' ')]), l[strings.IndexByte(l, '(')+1:i])
			f = append(f, strings.Fields(l[i+1:])...)
			if len(f) != 52 {
				t.Errorf("%d fields in %q", len(f), l)
				continue
			}
			stats[f[0]] = f
		}
	}
	// field returns stat field n (1-based, as proc(5) numbers them).
	field := func(pid string, n int) string {
		if f := stats[pid]; f != nil {
			return f[n-1]
		}
		return ""
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %q, want %q", what, got, want)
		}
	}
	check("sleeper comm", field(sleeper, 2), "sleep")
	check("sleeper state", field(sleeper, 3), "S")
	check("sleeper ppid", field(sleeper, 4), sh)
	check("sleeper pgrp", field(sleeper, 5), sh)
	check("sleeper wchan", field(sleeper, 35), "1")
	check("sleeper exit_signal", field(sleeper, 38), "17")
	check("stopped state", field(stopped, 3), "T")
	check("stopped exit_code (its stop signal)", field(stopped, 52), "19")
	check("zombie state", field(zombie, 3), "Z")
	check("zombie ppid", field(zombie, 4), parent)
	check("zombie vsize", field(zombie, 23), "0")
	check("zombie threads", field(zombie, 20), "1")
	check("zombie exit_code", field(zombie, 52), "0")
	if v := atoi(field(sleeper, 23)); v <= 0 || v%4096 != 0 {
		t.Errorf("sleeper vsize %d", v)
	}

	has("napping", `^Threads:\t3$`)
	tids := regexp.MustCompile(`(?m)^\d+$`).FindAllString(sections["napping"], -1)
	if len(tids) != 3 || tids[0] != napper {
		t.Errorf("napping's tasks: %q", tids)
	}
	for _, tid := range tids {
		check("thread "+tid+" comm", field(tid, 2), "napping")
		check("thread "+tid+" state", field(tid, 3), "S")
		check("thread "+tid+" threads", field(tid, 20), "3")
	}

	if got := strings.Fields(sections["hostname"]); strings.Join(got, " ") != "oyako-test oyako-test oyako-test" {
		t.Errorf("hostname, /proc/sys/kernel/hostname, uname -n after hostname oyako-test: %q", got)
	}
	if l := regexp.MustCompile(`(?m)^\d+\.\d\d \d+\.\d\d \d+\.\d\d (\d+)/(\d+) (\d+)$`).FindStringSubmatch(sections["loadavg"]); l == nil {
		t.Error("loadavg format")
	} else if run, total := atoi(l[1]), atoi(l[2]); run < 1 || run > total || total < 8 || atoi(l[3]) < atoi(napper) {
		t.Errorf("loadavg: %s", l[0])
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
