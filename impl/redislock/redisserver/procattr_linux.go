package redisserver

import "syscall"

// procAttr makes the kernel kill redis-server when its parent dies, so that
// no server outlives a harness killed with SIGKILL.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
