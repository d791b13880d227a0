package cpio

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	files := []struct {
		h    Header
		body string
	}{
		{Header{Name: "bin", Mode: ModeDir | 0o755}, ""},
		{Header{Name: "bin/hello", Mode: ModeRegular | 0o755, MTime: 12345}, "#!/bin/x\nhello\n"},
		{Header{Name: "bin/sh", Mode: ModeSymlink | 0o777}, "hello"},
		{Header{Name: "dev/console", Mode: ModeChar | 0o600, RdevMajor: 5, RdevMinor: 1}, ""},
		{Header{Name: "odd", Mode: ModeRegular | 0o644}, "x"},
	}
	for _, f := range files {
		if err := w.WriteFile(f.h, []byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%4 != 0 {
		t.Fatalf("archive length %d not 4-aligned", buf.Len())
	}
	r := NewReader(buf.Bytes())
	for i, f := range files {
		h, body, err := r.Next()
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		if h.Name != f.h.Name || h.Mode != f.h.Mode || string(body) != f.body || h.RdevMajor != f.h.RdevMajor || h.MTime != f.h.MTime {
			t.Fatalf("member %d: got %+v %q", i, h, body)
		}
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last member: %v", err)
	}
}

func TestMalformed(t *testing.T) {
	for _, data := range []string{"070701zzzz", "not a cpio archive at all, no, not at all; 110 bytes are needed for a header so here are some more", "070701" + strings.Repeat("0", 104)} {
		_, _, err := NewReader([]byte(data)).Next()
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%q: got %v", data[:10], err)
		}
	}
}

// The archives must be what Linux's cpio tools read.
func TestReadableByCpio(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("no cpio tool on this machine")
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.WriteFile(Header{Name: "a", Mode: ModeDir | 0o755}, nil)
	w.WriteFile(Header{Name: "a/b", Mode: ModeRegular | 0o644}, []byte("data"))
	w.Close()
	cmd := exec.Command("cpio", "-t", "--quiet")
	cmd.Stdin = &buf
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "a\na/b\n" {
		t.Fatalf("cpio -t: %q", out)
	}
}
