#include "textflag.h"

// func idiv(a, b int64) int64 divides with IDIVQ and no check of its own,
// so a zero divisor raises #DE: SIGFPE with FPE_INTDIV, which the Go
// runtime turns into its "integer divide by zero" panic.
TEXT ·idiv(SB), NOSPLIT, $0-24
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), CX
	CQO
	IDIVQ CX
	MOVQ AX, ret+16(FP)
	RET
