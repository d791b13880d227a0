package initstack

import (
	"encoding/binary"
	"testing"
)

func TestBuildLayout(t *testing.T) {
	mem := make([]byte, 4096)
	const top = 0x7ffffffff000
	p := &Params{
		Argv:     []string{"/init", "-x", ""},
		Envp:     []string{"HOME=/", "TERM=linux"},
		Auxv:     []Aux{{AT_PAGESZ, 4096}, {AT_HWCAP, 0x178bfbff}},
		Random:   [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		ExecFn:   "/init",
		Platform: "x86_64",
		Addrs:    make([]uint64, 5),
	}
	sp, ok := Build(mem, top, p)
	if !ok {
		t.Fatal("Build failed")
	}
	if sp%16 != 0 {
		t.Fatalf("sp %#x not 16-byte aligned", sp)
	}
	word := func(a uint64) uint64 { return binary.LittleEndian.Uint64(mem[a-(top-uint64(len(mem))):]) }
	cstr := func(a uint64) string {
		off := a - (top - uint64(len(mem)))
		e := off
		for mem[e] != 0 {
			e++
		}
		return string(mem[off:e])
	}
	if word(sp) != 3 {
		t.Fatalf("argc %d", word(sp))
	}
	a := sp + 8
	for _, want := range p.Argv {
		if got := cstr(word(a)); got != want {
			t.Fatalf("argv: %q want %q", got, want)
		}
		a += 8
	}
	if word(a) != 0 {
		t.Fatal("argv not NULL-terminated")
	}
	a += 8
	for _, want := range p.Envp {
		if got := cstr(word(a)); got != want {
			t.Fatalf("envp: %q want %q", got, want)
		}
		a += 8
	}
	if word(a) != 0 {
		t.Fatal("envp not NULL-terminated")
	}
	a += 8
	aux := map[uint64]uint64{}
	var order []uint64
	for {
		typ, val := word(a), word(a+8)
		a += 16
		if typ == AT_NULL {
			break
		}
		aux[typ] = val
		order = append(order, typ)
	}
	if aux[AT_PAGESZ] != 4096 || aux[AT_HWCAP] != 0x178bfbff {
		t.Fatalf("auxv values %v", aux)
	}
	if cstr(aux[AT_EXECFN]) != "/init" || cstr(aux[AT_PLATFORM]) != "x86_64" {
		t.Fatal("AT_EXECFN/AT_PLATFORM strings wrong")
	}
	r := aux[AT_RANDOM] - (top - uint64(len(mem)))
	for i := 0; i < 16; i++ {
		if mem[r+uint64(i)] != byte(i+1) {
			t.Fatal("AT_RANDOM bytes wrong")
		}
	}
	if order[0] != AT_PAGESZ || order[2] != AT_RANDOM {
		t.Fatalf("auxv order %v", order)
	}
	if a > top {
		t.Fatal("pointer area overlaps the top")
	}
}

func TestBuildTooSmall(t *testing.T) {
	if _, ok := Build(make([]byte, 4096), 0x1000, &Params{Argv: []string{"a", "b"}, Addrs: make([]uint64, 1)}); ok {
		t.Fatal("Build succeeded without room for the string addresses")
	}
	if _, ok := Build(make([]byte, 64), 0x1000, &Params{Argv: []string{"a-long-argument-that-does-not-fit-in-64-bytes-of-stack"}, Addrs: make([]uint64, 1)}); ok {
		t.Fatal("Build succeeded in too little memory")
	}
}
