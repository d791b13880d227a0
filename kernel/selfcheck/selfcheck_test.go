package selfcheck

import (
	"strings"
	"testing"
)

// The self-check is ordinary Go: it must pass on the host too.
func TestRunOnHost(t *testing.T) {
	var out strings.Builder
	c := Config{Goroutines: 1000, RAMBytes: 64 << 20, GCFactor: 4}
	if _, err := Run(&out, c); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"goroutines ok", "timers ok", "gc ok", "preemption ok", "syscalls ok"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
