package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// faultlineBin is the faultline binary built once for the tests that run it
// as a real process (and that run Raft KV nodes as its children).
var faultlineBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "faultline-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	faultlineBin = filepath.Join(dir, "faultline")
	build := exec.Command("go", "build", "-o", faultlineBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building faultline for the tests:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
