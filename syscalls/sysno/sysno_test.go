package sysno

import (
	"bytes"
	"os"
	"testing"

	"oyako/syscalls/internal/systab"
)

// TestGeneratedIsCurrent fails when syscall_64.tbl changed without
// "go generate ./syscalls/...".
func TestGeneratedIsCurrent(t *testing.T) {
	data, err := os.ReadFile("../syscall_64.tbl")
	if err != nil {
		t.Fatal(err)
	}
	es, err := systab.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	want, err := systab.GenerateSysno(es)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("zsysno.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zsysno.go is stale: run go generate ./syscalls/...")
	}
}

func TestNames(t *testing.T) {
	for nr, want := range map[uint64]string{0: "read", 202: "futex", 231: "exit_group", 435: "clone3", 469: "file_setattr", 335: "", 9999: ""} {
		if got := Name(nr); got != want {
			t.Errorf("Name(%d) = %q, want %q", nr, got, want)
		}
	}
	if SYS_epoll_pwait != 281 || SYS_clock_gettime != 228 {
		t.Fatal("numbers wrong")
	}
}
