package unix

import (
	"fmt"
	"strings"
	"testing"

	"oyako/socket"
)

func TestProcNetUnix(t *testing.T) {
	fa, fb, err := Pair(ctx{1}, socket.SOCK_STREAM, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := fa.Ops().(*Sock)
	text := string(procNetUnix())
	if !strings.HasPrefix(text, "Num       RefCount Protocol Flags    Type St Inode Path\n") {
		t.Errorf("header: %q", text)
	}
	want := fmt.Sprintf("0000000000000000: 00000002 00000000 00000000 0001 03 %5d\n", a.ino)
	if !strings.Contains(text, want) {
		t.Errorf("no line %q in\n%s", want, text)
	}
	fa.DecRef()
	fb.DecRef()
	if text := string(procNetUnix()); strings.Contains(text, want) {
		t.Errorf("a released socket is still listed:\n%s", text)
	}
}
