package amd64

// Model-specific registers (Intel SDM vol. 4; Linux msr-index.h names).
const (
	MSR_EFER           = 0xc0000080
	MSR_STAR           = 0xc0000081
	MSR_LSTAR          = 0xc0000082
	MSR_CSTAR          = 0xc0000083
	MSR_SYSCALL_MASK   = 0xc0000084
	MSR_FS_BASE        = 0xc0000100
	MSR_GS_BASE        = 0xc0000101
	MSR_KERNEL_GS_BASE = 0xc0000102
	MSR_TSC_AUX        = 0xc0000103
	MSR_APIC_BASE      = 0x0000001b
	MSR_TSC_DEADLINE   = 0x000006e0
	MSR_PAT            = 0x00000277

	EFER_SCE = 1 << 0
	EFER_LME = 1 << 8
	EFER_LMA = 1 << 10
	EFER_NXE = 1 << 11
)

// Control register bits.
const (
	CR0_PE = 1 << 0
	CR0_MP = 1 << 1
	CR0_EM = 1 << 2
	CR0_TS = 1 << 3
	CR0_NE = 1 << 5
	CR0_WP = 1 << 16
	CR0_AM = 1 << 18
	CR0_PG = 1 << 31

	CR4_PAE        = 1 << 5
	CR4_PGE        = 1 << 7
	CR4_OSFXSR     = 1 << 9
	CR4_OSXMMEXCPT = 1 << 10
	CR4_UMIP       = 1 << 11
	CR4_FSGSBASE   = 1 << 16
	CR4_OSXSAVE    = 1 << 18
	CR4_SMEP       = 1 << 20
	CR4_SMAP       = 1 << 21
)
