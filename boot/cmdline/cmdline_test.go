package cmdline

import (
	"reflect"
	"testing"
)

func split(s string) []string {
	var out []string
	for i := 0; ; {
		start, end, next, ok := Next([]byte(s), i)
		if !ok {
			return out
		}
		out = append(out, s[start:end])
		i = next
	}
}

func TestNext(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"quiet strace", []string{"quiet", "strace"}},
		{"  a\tb\n c ", []string{"a", "b", "c"}},
		{`-- sh -c "echo hi; exit 7"`, []string{"--", "sh", "-c", "echo hi; exit 7"}},
		{`"" x`, []string{"", "x"}},
		// A quote inside a word groups but stays, as in Linux.
		{`a="b c" d`, []string{`a="b c"`, "d"}},
		// An unterminated quote runs to the end.
		{`"a b`, []string{"a b"}},
	} {
		if got := split(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("split(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	args := []string{"echo", "hi there", "", "a;b", "tab-free", "*", "'single'"}
	line := ""
	for i, a := range args {
		q, ok := Quote(a)
		if !ok {
			t.Fatalf("Quote(%q) refused", a)
		}
		if i > 0 {
			line += " "
		}
		line += q
	}
	if got := split(line); !reflect.DeepEqual(got, args) {
		t.Fatalf("round trip of %q gave %q", args, got)
	}
	for _, bad := range []string{`say "hi"`, "a\tb", "a\nb"} {
		if _, ok := Quote(bad); ok {
			t.Errorf("Quote(%q) accepted a word a command line cannot carry", bad)
		}
	}
}
