#include "textflag.h"

// func SpinPause()
TEXT ·SpinPause(SB), NOSPLIT|NOFRAME, $0-0
	PAUSE
	RET
