package klog

import "testing"

func TestLineFormatting(t *testing.T) {
	var l Line
	l.S("a=").X(0xbeef).S(" b=").Hex(0x12, 4).S(" c=").U(0).C(' ').U(18446744073709551615).S(" d=").D(-42).S(" e=").Hex(0, 1)
	if got, want := string(l.Bytes()), "a=0xbeef b=0012 c=0 18446744073709551615 d=-42 e=0"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	var long Line
	for i := 0; i < 1000; i++ {
		long.S("x")
	}
	if len(long.Bytes()) != len(long.buf) {
		t.Fatal("a long line must be truncated at the buffer")
	}
}

func TestLogRing(t *testing.T) {
	var r LogRing
	if len(r.Bytes()) != 0 {
		t.Fatal("a new ring must be empty")
	}
	r.write([]byte("hello\n"))
	if got := string(r.Bytes()); got != "hello\n" {
		t.Fatalf("got %q", got)
	}
	// Fill past the end: the oldest bytes go, the order stays.
	n := len(r.Buf)
	for i := 0; i < n; i++ {
		r.write([]byte{byte('a' + i%26)})
	}
	got := r.Bytes()
	if len(got) != n {
		t.Fatalf("len %d, want %d", len(got), n)
	}
	// n+6 bytes went in; the n kept are the whole a..z run, "hello\n"
	// is gone.
	if got[0] != 'a' || got[n-1] != byte('a'+(n-1)%26) {
		t.Fatalf("ring order wrong: first %q last %q", got[0], got[n-1])
	}
}
