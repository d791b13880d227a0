package amd64

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestSSEHeaderOffsets checks sse.h's offsets, which assembly of two
// packages includes and cannot take from go_asm.h, against the Go
// constants.
func TestSSEHeaderOffsets(t *testing.T) {
	b, err := os.ReadFile("sse.h")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"SSE_MXCSR": FXSaveMXCSR, "SSE_XMM": FXSaveXMM} {
		m := regexp.MustCompile(`(?m)^#define ` + name + ` (\d+)$`).FindSubmatch(b)
		if m == nil {
			t.Errorf("sse.h defines no %s", name)
			continue
		}
		if got, _ := strconv.Atoi(string(m[1])); got != want {
			t.Errorf("sse.h: %s is %d, want %d", name, got, want)
		}
	}
}
