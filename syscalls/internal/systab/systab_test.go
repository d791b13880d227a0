package systab

import (
	"bytes"
	"os"
	"testing"
)

// TestTableIsCurrent fails when syscall_64.tbl or the set of handlers in
// package syscalls changed without "go generate ./syscalls/...".
func TestTableIsCurrent(t *testing.T) {
	data, err := os.ReadFile("../../syscall_64.tbl")
	if err != nil {
		t.Fatal(err)
	}
	es, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := PackageSources("../..")
	if err != nil {
		t.Fatal(err)
	}
	handlers, err := FindHandlers(srcs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := GenerateTable(es, handlers)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../ztable.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("ztable.go is stale: run go generate ./syscalls/...")
	}
}

func TestHandlerName(t *testing.T) {
	for entry, want := range map[string]string{
		"sys_read":         "sysRead",
		"sys_exit_group":   "sysExitGroup",
		"sys_rt_sigaction": "sysRtSigaction",
		"sys_pread64":      "sysPread64",
	} {
		if got := HandlerName(entry); got != want {
			t.Errorf("HandlerName(%q) = %q, want %q", entry, got, want)
		}
	}
}
