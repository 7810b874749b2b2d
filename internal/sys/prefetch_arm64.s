#include "textflag.h"

// func PrefetchStore(p unsafe.Pointer)
TEXT ·PrefetchStore(SB), NOSPLIT|NOFRAME, $0-8
	MOVD p+0(FP), R0
	PRFM (R0), PSTL1KEEP
	PRFM 64(R0), PSTL1KEEP
	RET
