package amd64

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
	"unsafe"
)

// TestVectorsCurrent fails when vectors.s is not what gen_vectors.go
// writes (run go generate ./amd64).
func TestVectorsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	want, err := exec.Command("go", "run", "gen_vectors.go").Output()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("vectors.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("vectors.s is stale: run go generate ./amd64")
	}
}

// The entry stubs lay out Frame by pushes; the layout must stay what
// they push: pt_regs last, 21 words of it, after 4 header words.
func TestFrameLayout(t *testing.T) {
	var f Frame
	if unsafe.Sizeof(f.Regs) != 21*8 || unsafe.Offsetof(f.Regs) != 4*8 || unsafe.Sizeof(f) != 25*8 {
		t.Fatalf("Frame is %d bytes with pt_regs (%d bytes) at %d", unsafe.Sizeof(f), unsafe.Sizeof(f.Regs), unsafe.Offsetof(f.Regs))
	}
	if unsafe.Offsetof(f.Regs.Rdi) != 14*8 || unsafe.Offsetof(f.Regs.OrigRax) != 15*8 || unsafe.Offsetof(f.Regs.Ss) != 20*8 {
		t.Fatal("pt_regs order changed")
	}
}

func TestDescriptorPointerPacking(t *testing.T) {
	p := makeDescriptorPointer(0x1122334455667788, 0xfff)
	b := (*[10]byte)(unsafe.Pointer(&p))
	want := []byte{0xff, 0x0f, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}
	if !bytes.Equal(b[:], want) {
		t.Fatalf("packed %x, want %x", b[:], want)
	}
}

func TestTSSLayout(t *testing.T) {
	var tss TSS
	tss.SetIST(1, 0x1111)
	tss.SetIST(7, 0x7777)
	tss.SetRSP0(0xabcd)
	if tss.IST(1) != 0x1111 || tss.IST(7) != 0x7777 || getU64(tss[4:]) != 0xabcd || getU64(tss[36:]) != 0x1111 {
		t.Fatal("TSS field offsets")
	}
}
