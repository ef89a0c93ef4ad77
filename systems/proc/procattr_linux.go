package proc

import "syscall"

// procAttr makes the kernel kill the child when its parent dies, so that no
// child outlives a harness killed with SIGKILL, and puts the child in its own
// process group, so that a Ctrl-C meant for the harness does not reach it.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
