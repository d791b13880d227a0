// POP_GPRS pops the general registers of a pt_regs (amd64.PtRegs) in
// the order Linux's entry code pushes them, R15 first, DI last: after it
// the stack pointer is at orig_rax. Shared by the entry paths
// (amd64/trap.s, syscalls/entry_64.s).
#define POP_GPRS \
	POPQ	R15; \
	POPQ	R14; \
	POPQ	R13; \
	POPQ	R12; \
	POPQ	BP; \
	POPQ	BX; \
	POPQ	R11; \
	POPQ	R10; \
	POPQ	R9; \
	POPQ	R8; \
	POPQ	AX; \
	POPQ	CX; \
	POPQ	DX; \
	POPQ	SI; \
	POPQ	DI
