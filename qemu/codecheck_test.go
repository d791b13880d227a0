package qemu

import (
	"debug/elf"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// Code that runs where the Go runtime cannot help (early boot before the
// runtime exists, runtime services and interrupt handlers with the
// kernel's fake g) must not allocate, hit a write barrier, start
// goroutines or switch to the system stack: with no m those paths crash.
// This test disassembles the built kernel, follows direct calls and tail
// jumps from those entry points, and fails if one of the forbidden runtime
// functions is reachable, printing the call path.

var restrictedRoots = []struct {
	name string
	// barriersOK: the code runs before the Go runtime starts, when the
	// write-barrier flag is off, so barrier calls are never taken.
	barriersOK bool
}{
	{"oyako/boot.early", true},
	{"oyako/kernel.Service", false},
	{"oyako/kernel.handleTrap", false},
	{"oyako/amd64.trap", false},
}

var forbidden = []string{
	"runtime.mallocgc", "runtime.newobject", "runtime.growslice", "runtime.makeslice",
	"runtime.makemap", "runtime.makemap_small", "runtime.mapassign", "runtime.newproc",
	"runtime.deferproc", "runtime.systemstack", "runtime.concatstrings", "runtime.rawstring",
	"runtime.gcWriteBarrier", "runtime.wbMove", "runtime.typedmemmove", "runtime.convT",
	"runtime.convTstring", "runtime.convTslice", "runtime.convT64", "runtime.convT32", "runtime.convT16",
	"runtime.lock2", "runtime.gopark", "runtime.chansend", "runtime.chanrecv",
}

func isForbidden(name string, barriersOK bool) bool {
	base := strings.TrimSuffix(name, ".abi0")
	if strings.HasPrefix(base, "runtime.gcWriteBarrier") || base == "runtime.wbMove" {
		return !barriersOK
	}
	for _, f := range forbidden {
		if base == f {
			return true
		}
	}
	return false
}

type fn struct {
	name       string
	start, end uint64
}

func TestRestrictedCodeDoesNotAllocate(t *testing.T) {
	image := kernelImage(t)
	path := filepath.Join(filepath.Dir(image), "kernel.elf")
	f, syms := openELF(t, path)
	text := f.Section(".text")
	code, err := text.Data()
	if err != nil {
		t.Fatal(err)
	}
	var fns []fn
	byName := map[string]fn{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Size == 0 || s.Value < text.Addr || s.Value+s.Size > text.Addr+text.Size {
			continue
		}
		x := fn{s.Name, s.Value, s.Value + s.Size}
		fns = append(fns, x)
		byName[s.Name] = x
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].start < fns[j].start })
	at := func(pc uint64) (fn, bool) {
		i := sort.Search(len(fns), func(i int) bool { return fns[i].end > pc })
		if i < len(fns) && fns[i].start <= pc {
			return fns[i], true
		}
		return fn{}, false
	}
	callees := func(x fn) []string {
		var out []string
		b := code[x.start-text.Addr : x.end-text.Addr]
		for pc := 0; pc < len(b); {
			inst, err := x86asm.Decode(b[pc:], 64)
			if err != nil {
				pc++
				continue
			}
			next := x.start + uint64(pc+inst.Len)
			if inst.Op == x86asm.CALL || inst.Op == x86asm.JMP {
				if rel, ok := inst.Args[0].(x86asm.Rel); ok {
					target := uint64(int64(next) + int64(rel))
					if g, ok := at(target); ok && g.name != x.name && target == g.start {
						out = append(out, g.name)
					}
				}
			}
			pc += inst.Len
		}
		return out
	}
	for _, rr := range restrictedRoots {
		root := rr.name
		r, ok := byName[root]
		if !ok {
			t.Fatalf("root %s not in the kernel", root)
		}
		parent := map[string]string{r.name: ""}
		queue := []string{r.name}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			if isForbidden(cur, rr.barriersOK) {
				var p []string
				for n := cur; n != ""; n = parent[n] {
					p = append([]string{n}, p...)
				}
				t.Errorf("%s reaches %s:\n  %s", root, cur, strings.Join(p, "\n  -> "))
				continue
			}
			if strings.HasPrefix(cur, "runtime.") && !strings.HasPrefix(cur, "runtime.mem") {
				// Runtime internals are reached only on panic paths
				// (bounds checks) or through the explicitly forbidden
				// entries above; do not walk the whole runtime.
				continue
			}
			for _, c := range callees(byName[cur]) {
				if _, seen := parent[c]; !seen {
					parent[c] = cur
					queue = append(queue, c)
				}
			}
		}
	}
}
