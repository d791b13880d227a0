package mm

// The kernel's virtual memory layout. The lower half of every address space
// belongs to the user program; the upper half is the kernel's and is shared by
// every address space (its PML4 entries are created once, at boot, and copied
// into each new page table). The choices mirror Linux's x86-64 layout
// (Documentation/arch/x86/x86_64/mm.rst) where a Linux region exists.
const (
	PageSize  = 4096
	PageShift = 12
	HugeSize  = 2 << 20 // a 2 MiB page (PD-level leaf)
	GigaSize  = 1 << 30 // a 1 GiB page (PDPT-level leaf)

	// KernelBase is where the kernel image is linked: virtual = physical + KernelBase,
	// in the top 2 GiB like Linux's __START_KERNEL_map, so that the Go
	// linker's 32-bit sign-extended absolute relocations reach it.
	KernelBase = 0xffffffff80000000
	// KernelTextPhys is the physical (and, relative to KernelBase, virtual)
	// address of the kernel's text. The Go linker puts the ELF header page
	// just below it. The build passes -T KernelBase+KernelTextPhys.
	KernelTextPhys = 0x200000

	// DirectMapBase maps all of physical RAM, like Linux's page_offset_base:
	// virtual = physical + DirectMapBase. Kernel code reaches page tables,
	// free frames and user memory (for copy in/out) through it.
	DirectMapBase = 0xffff888000000000
	DirectMapSize = 512 << 30 // one PML4 slot

	// RuntimeBase..RuntimeBase+RuntimeSize is where the kernel's own Go
	// runtime gets its mmap reservations (Linux's vmalloc area).
	RuntimeBase = 0xffffc90000000000
	RuntimeSize = 512 << 30

	// StackBase..StackBase+StackSize holds kernel stacks (per-thread
	// service stacks, per-CPU IST and idle stacks), each followed by an
	// unmapped guard page.
	StackBase = 0xffffe90000000000
	StackSize = 512 << 30

	// FrameRefBase holds the frames' reference counts (frameref.go), one
	// 32-bit slot per physical frame, like Linux's vmemmap.
	FrameRefBase = 0xffffea0000000000
	FrameRefSize = 1 << 30

	// MMIOBase..MMIOBase+MMIOSize is the window of device registers
	// (QEMU microvm's virtio-mmio transports at 0xfeb00000, the IOAPICs
	// at 0xfec00000 and 0xfec10000, the LAPIC at 0xfee00000) that the
	// drivers address with 32-bit physical addresses. It is identity
	// mapped, supervisor only, in every address space, so user mappings
	// avoid it. It is made of whole 2 MiB page-directory entries, which
	// every address space shares.
	MMIOBase = 0xfea00000
	MMIOSize = 0x00600000

	// VDSOBase is where the kernel maps the vDSO for its own Go runtime:
	// the vvar page, then six pages on the vDSO image (supervisor-only; processes get
	// the same frames in their lower half). It lies in the top 2 GiB,
	// above the kernel image, like Linux's fixmap.
	VDSOBase = 0xffffffffff000000

	// UserTop is the end of the lower half: the first non-canonical address.
	UserTop = 0x0000800000000000
)
