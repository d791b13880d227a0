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
