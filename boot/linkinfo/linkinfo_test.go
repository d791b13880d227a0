package linkinfo

import (
	"testing"
	"unsafe"
)

// The kernel reads a Record through its Go layout; postlink writes Encode's
// bytes. They must agree.
func TestEncodeMatchesLayout(t *testing.T) {
	r := Record{Magic: Patched, Entry: 0x1122, PVHEntry: 0x200000, NSegments: 2}
	r.Segments[0] = Segment{Vaddr: 0xffffffff801ff000, Memsz: 0x1000, Flags: FlagR | FlagX}
	r.Segments[5] = Segment{Vaddr: 7, Memsz: 8, Flags: 9}
	b := r.Encode()
	if len(b) != Size || int(unsafe.Sizeof(r)) != Size {
		t.Fatalf("encoded %d bytes, struct %d, Size %d", len(b), unsafe.Sizeof(r), Size)
	}
	mem := unsafe.Slice((*byte)(unsafe.Pointer(&r)), Size)
	for i := range b {
		if b[i] != mem[i] {
			t.Fatalf("byte %d: encoded %#x, in memory %#x", i, b[i], mem[i])
		}
	}
}
