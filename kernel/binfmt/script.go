// Package binfmt holds the hardware-free parts of execve's program
// formats (Linux's fs/binfmt_*.c): today the "#!" line of a script
// (binfmt_script). The ELF format is package elfload.
package binfmt

import (
	"bytes"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// BufSize is how much of a file exec reads to tell its format
// (BINPRM_BUF_SIZE): a "#!" line is parsed from that much only.
const BufSize = 256

// Script is a parsed "#!" line: the interpreter and its optional single
// argument.
type Script struct {
	Interp string
	Arg    string
	HasArg bool // an argument is present (it may be empty only with a NUL in the line)
}

func spacetab(c byte) bool { return c == ' ' || c == '\t' }

// nextNonSpacetab is the index of the first byte of b[first:last+1] that
// is not a space or tab, or -1.
func nextNonSpacetab(b []byte, first, last int) int {
	for ; first <= last; first++ {
		if !spacetab(b[first]) {
			return first
		}
	}
	return -1
}

// nextTerminator is the index of the first space, tab or NUL in
// b[first:last+1], or -1.
func nextTerminator(b []byte, first, last int) int {
	for ; first <= last; first++ {
		if spacetab(b[first]) || b[first] == 0 {
			return first
		}
	}
	return -1
}

// cstring is b up to its first NUL.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// ParseScript parses the start of a file the way load_script does. ok is
// false when the file does not start with "#!" (it is not a script). The
// line ends at the first newline in the first BufSize bytes; without one,
// the line is those bytes less the last, provided the interpreter's name
// ends before them (else ENOEXEC: it may be truncated). Blanks around the
// name are dropped; the argument is the rest of the line after the blanks
// that follow the name, with its trailing blanks dropped and internal
// ones kept. A NUL ends the name or the argument. A line with no name is
// ENOEXEC.
func ParseScript(head []byte) (s Script, ok bool, err error) {
	if len(head) < 2 || head[0] != '#' || head[1] != '!' {
		return Script{}, false, nil
	}
	var b [BufSize]byte // bprm->buf: zero past the end of a short file
	copy(b[:], head)
	last := len(b) - 1
	end := bytes.IndexByte(b[:], '\n')
	if end < 0 {
		i := nextNonSpacetab(b[:], 2, last)
		if i < 0 || nextTerminator(b[:], i, last) < 0 {
			return Script{}, true, linuxerr.ENOEXEC
		}
		end = last
	}
	for spacetab(b[end-1]) { // b[1] is '!': this stops at 2
		end--
	}
	name := nextNonSpacetab(b[:], 2, end)
	if name < 0 || name == end {
		return Script{}, true, linuxerr.ENOEXEC
	}
	arg := -1
	sep := nextTerminator(b[:], name, end)
	if sep >= 0 && b[sep] != 0 {
		arg = nextNonSpacetab(b[:], sep, end)
	}
	b[end] = 0
	if arg >= 0 {
		b[sep] = 0
		s.Arg, s.HasArg = cstring(b[arg:]), true
	}
	s.Interp = cstring(b[name:])
	return s, true, nil
}
