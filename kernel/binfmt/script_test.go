package binfmt

import (
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// The expectations are what Linux 6.1's load_script gives (checked with
// user/c/fork.c natively).
func TestParseScript(t *testing.T) {
	long := "#!/bin/i " + strings.Repeat("a", 300) + "\n"
	for _, c := range []struct {
		in      string
		interp  string
		arg     string
		hasArg  bool
		script  bool
		enoexec bool
	}{
		{in: "\x7fELF", script: false},
		{in: "#", script: false},
		{in: "#!/init\necho\n", interp: "/init", script: true},
		{in: "#!/init", interp: "/init", script: true},
		{in: "#!/init  one  two \t\n", interp: "/init", arg: "one  two", hasArg: true, script: true},
		{in: "#! \t/init\t-x\n", interp: "/init", arg: "-x", hasArg: true, script: true},
		{in: "#!/init x\x00y z\n", interp: "/init", arg: "x", hasArg: true, script: true},
		{in: "#!/in\x00it x\n", interp: "/in", script: true},
		{in: "#!\n", script: true, enoexec: true},
		{in: "#!  \t \n", script: true, enoexec: true},
		{in: "#!" + strings.Repeat(" ", 300), script: true, enoexec: true},
		{in: "#!/" + strings.Repeat("i", 300), script: true, enoexec: true},
		// Without a newline in the buffer, its last byte is not part of
		// the line.
		{in: long, interp: "/bin/i", arg: strings.Repeat("a", BufSize-1-len("#!/bin/i ")), hasArg: true, script: true},
		{in: "#!/" + strings.Repeat("i", 252) + " ", interp: "/" + strings.Repeat("i", 252), script: true},
	} {
		s, ok, err := ParseScript([]byte(c.in))
		if ok != c.script || (err != nil) != c.enoexec || c.enoexec && !linuxerr.Equals(linuxerr.ENOEXEC, err) {
			t.Errorf("%.40q: script %v, error %v; want %v, ENOEXEC %v", c.in, ok, err, c.script, c.enoexec)
			continue
		}
		if s.Interp != c.interp || s.Arg != c.arg || s.HasArg != c.hasArg {
			t.Errorf("%.40q: %+v, want interp %q arg %q (%v)", c.in, s, c.interp, c.arg, c.hasArg)
		}
	}
}
