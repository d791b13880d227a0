// Package linkinfo defines the record through which the host-side post-link
// step (boot/postlink) tells the kernel facts only the linker knows: the Go
// runtime's ELF entry point and the kernel image's segments. The Go linker
// cannot emit them itself, and the kernel must not reach into runtime
// internals to find them.
//
// The record is an initialized variable in the kernel image (boot.linkInfo);
// postlink finds it by symbol name and overwrites its bytes in the ELF file.
package linkinfo

// Magic marks an unpatched record; postlink refuses a record without it.
const Magic = 0x6f79616b6f6c6e6b // "oyakolnk"

// Patched is stored in Magic once postlink has filled the record in.
const Patched = 0x6f79616b6f4f4b21 // "oyakoOK!"

// MaxSegments bounds the PT_LOAD segments recorded.
const MaxSegments = 6

// Segment flags, as in ELF p_flags.
const (
	FlagX = 1
	FlagW = 2
	FlagR = 4
)

// Segment is one PT_LOAD segment of the kernel image.
type Segment struct {
	Vaddr uint64
	Memsz uint64
	Flags uint64
}

// Record is the patched data. Every field is a uint64 so the layout is the
// same on both sides; Encode produces exactly these bytes.
type Record struct {
	Magic     uint64
	Entry     uint64 // ELF e_entry: the Go runtime's _rt0_amd64_linux
	PVHEntry  uint64 // physical address written into the PVH note
	NSegments uint64
	Segments  [MaxSegments]Segment
	// LazyStart and LazyEnd bound a page-aligned tail of the last
	// segment's zero-initialized data that postlink cut off the segment
	// (LazyBSSSymbols): the loader neither loads nor reserves it, and
	// the kernel maps its pages with zeros on first touch, as Linux
	// backs a program's BSS. Both are zero when there is none.
	LazyStart, LazyEnd uint64
}

// LazyBSSSymbols are the zero-initialized variables postlink leaves out
// of the loaded image when they end its last segment: large scratch
// buffers that most kernels never touch. crypto/internal/fips140/drbg's
// 32 MiB entropy scratch buffer (used only in FIPS 140-3 mode) comes in
// with crypto/rand, which gVisor's netstack imports; its package
// expects "physical pages at first use".
var LazyBSSSymbols = []string{"crypto/internal/fips140/drbg.memory"}

// Size is the encoded size of a Record in bytes.
const Size = 8 * (6 + 3*MaxSegments)

// Encode returns r's little-endian bytes in field order.
func (r *Record) Encode() []byte {
	words := []uint64{r.Magic, r.Entry, r.PVHEntry, r.NSegments}
	for _, s := range r.Segments {
		words = append(words, s.Vaddr, s.Memsz, s.Flags)
	}
	words = append(words, r.LazyStart, r.LazyEnd)
	b := make([]byte, 0, Size)
	for _, w := range words {
		for i := 0; i < 8; i++ {
			b = append(b, byte(w>>(8*i)))
		}
	}
	return b
}

// The vDSO slot: kernel/vdso.image is an initialized variable of type
// VDSOSlot that postlink fills with the vDSO ELF image (built from
// kernel/vdso/c by the host tool). The Go toolchain cannot link a foreign
// shared object into the kernel, and the vDSO must not be a committed
// binary; the slot carries it from the build into the image.
const (
	VDSOSymbol  = "oyako/kernel/vdso.image"
	VDSOMagic   = 0x6f79616b6f76646f // "oyakovdo": empty slot
	VDSOPatched = 0x6f79616b6f76644b // "oyakovdK": filled
	VDSOMax     = 16 << 10           // bytes the slot can hold
)

// VDSOSlot is the slot's layout: Magic, the image's length, the image.
type VDSOSlot struct {
	Magic uint64
	Len   uint64
	Data  [VDSOMax]byte
}

// VDSOSlotSize is the encoded size of a VDSOSlot.
const VDSOSlotSize = 16 + VDSOMax
