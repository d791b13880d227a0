package qemu

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestInitCmdlineArgs64: arguments a command line can carry go as they
// are; when one cannot (a double quote, a newline), all of them go in
// base64 behind the args64 option, and decode to what was given.
func TestInitCmdlineArgs64(t *testing.T) {
	line, err := InitCmdline([]string{"quiet"}, "/x/prog", []string{"a b", "c"})
	if err != nil || line != `quiet argv0=prog -- "a b" c` {
		t.Fatalf("plain: %q, %v", line, err)
	}
	args := []string{`print "hi"`, "two\nlines", ""}
	line, err = InitCmdline(nil, "/x/prog", args)
	if err != nil {
		t.Fatal(err)
	}
	head, tail, ok := strings.Cut(line, " -- ")
	if !ok || head != "argv0=prog args64" {
		t.Fatalf("encoded: %q", line)
	}
	words := strings.Split(tail, " ")
	if len(words) != len(args) {
		t.Fatalf("encoded words %q", words)
	}
	for i, w := range words {
		if w == "" {
			w = `""`
		}
		b, err := base64.RawURLEncoding.DecodeString(strings.Trim(w, `"`))
		if err != nil || string(b) != args[i] {
			t.Errorf("word %d %q decodes to %q, %v; want %q", i, w, b, err, args[i])
		}
	}
}
