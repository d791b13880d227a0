#include "textflag.h"

// func crashTrampoline()
// A faulting goroutine resumes here with the faulting PC as the return
// address (kernelFault pushed it). crashReport panics and does not return.
TEXT ·crashTrampoline(SB),NOSPLIT|NOFRAME,$0-0
	CALL	·crashReport(SB)
	BYTE	$0x0f; BYTE $0x0b	// UD2

DATA ·crashTrampolinePC+0(SB)/8, $·crashTrampoline(SB)
GLOBL ·crashTrampolinePC(SB), RODATA, $8
