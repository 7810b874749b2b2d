package conn

import "syscall"

func syscallEPIPE() error { return syscall.EPIPE }
