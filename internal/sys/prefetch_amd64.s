#include "textflag.h"

// func PrefetchStore(p unsafe.Pointer)
TEXT ·PrefetchStore(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ p+0(FP), AX
	// PREFETCHW (AX) and PREFETCHW 64(AX): 0F 0D /1, which the
	// assembler has no name for. CPUs without it run it as a NOP.
	BYTE $0x0F; BYTE $0x0D; BYTE $0x08
	BYTE $0x0F; BYTE $0x0D; BYTE $0x48; BYTE $0x40
	RET
