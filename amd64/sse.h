// SSE register save and restore for entry paths (amd64/trap.s,
// syscalls/entry_64.s): XMM0-15 and MXCSR, in their slots of the
// FXSAVE/XSAVE legacy area at reg (Intel SDM vol. 1 §10.5.1: MXCSR at
// byte 24, XMM0 at byte 160). These are all the vector state the kernel's
// Go code changes: it runs without AVX (boot/early.go's GODEBUG) and never
// uses x87. Offsets are checked by amd64.TestSSEHeaderOffsets.

#define SSE_MXCSR 24
#define SSE_XMM 160

// SAVE_XMM stores XMM0-15 into the area at reg.
#define SAVE_XMM(reg) \
	MOVUPS	X0, (SSE_XMM+0*16)(reg); \
	MOVUPS	X1, (SSE_XMM+1*16)(reg); \
	MOVUPS	X2, (SSE_XMM+2*16)(reg); \
	MOVUPS	X3, (SSE_XMM+3*16)(reg); \
	MOVUPS	X4, (SSE_XMM+4*16)(reg); \
	MOVUPS	X5, (SSE_XMM+5*16)(reg); \
	MOVUPS	X6, (SSE_XMM+6*16)(reg); \
	MOVUPS	X7, (SSE_XMM+7*16)(reg); \
	MOVUPS	X8, (SSE_XMM+8*16)(reg); \
	MOVUPS	X9, (SSE_XMM+9*16)(reg); \
	MOVUPS	X10, (SSE_XMM+10*16)(reg); \
	MOVUPS	X11, (SSE_XMM+11*16)(reg); \
	MOVUPS	X12, (SSE_XMM+12*16)(reg); \
	MOVUPS	X13, (SSE_XMM+13*16)(reg); \
	MOVUPS	X14, (SSE_XMM+14*16)(reg); \
	MOVUPS	X15, (SSE_XMM+15*16)(reg)

// RESTORE_XMM loads XMM0-15 from the area at reg.
#define RESTORE_XMM(reg) \
	MOVUPS	(SSE_XMM+0*16)(reg), X0; \
	MOVUPS	(SSE_XMM+1*16)(reg), X1; \
	MOVUPS	(SSE_XMM+2*16)(reg), X2; \
	MOVUPS	(SSE_XMM+3*16)(reg), X3; \
	MOVUPS	(SSE_XMM+4*16)(reg), X4; \
	MOVUPS	(SSE_XMM+5*16)(reg), X5; \
	MOVUPS	(SSE_XMM+6*16)(reg), X6; \
	MOVUPS	(SSE_XMM+7*16)(reg), X7; \
	MOVUPS	(SSE_XMM+8*16)(reg), X8; \
	MOVUPS	(SSE_XMM+9*16)(reg), X9; \
	MOVUPS	(SSE_XMM+10*16)(reg), X10; \
	MOVUPS	(SSE_XMM+11*16)(reg), X11; \
	MOVUPS	(SSE_XMM+12*16)(reg), X12; \
	MOVUPS	(SSE_XMM+13*16)(reg), X13; \
	MOVUPS	(SSE_XMM+14*16)(reg), X14; \
	MOVUPS	(SSE_XMM+15*16)(reg), X15

// SAVE_SSE stores XMM0-15 and MXCSR; RESTORE_SSE loads them.
#define SAVE_SSE(reg) SAVE_XMM(reg); STMXCSR SSE_MXCSR(reg)
#define RESTORE_SSE(reg) RESTORE_XMM(reg); LDMXCSR SSE_MXCSR(reg)
