//go:build !linux

package proc

import "syscall"

// procAttr is empty where there is no parent-death signal: a child started
// here can outlive a harness killed with SIGKILL.
func procAttr() *syscall.SysProcAttr { return nil }
