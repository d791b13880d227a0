package unix

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"oyako/fs"
	"oyako/socket"
)

// /proc/net/unix (unix_seq_show): a line per AF_UNIX socket, for
// netstat -x and its kind.

// live holds the sockets not yet released, embryos included.
var live socket.Set[*Sock]

func init() {
	fs.RegisterProcNet("unix", func(fs.Ctx) []byte { return procNetUnix() })
}

// The struct socket states the file shows (include/uapi/linux/net.h),
// and the flag of a listener (__SO_ACCEPTCON).
const (
	ssUnconnected   = 1
	ssConnecting    = 2
	ssConnected     = 3
	ssDisconnecting = 4
	soAcceptCon     = 1 << 16
)

// unixLine is what the file shows of one socket.
type unixLine struct {
	ino          uint64
	typ          int
	flags, state int
	path         string
}

// procNetUnix formats the file. The sockets are in inode order (Linux's
// is its hash table's), embryos (no inode) last; the kernel pointer and
// reference count are fixed values.
func procNetUnix() []byte {
	socks := live.List()
	var lines []unixLine
	mu.Lock()
	for _, s := range socks {
		if s.dead {
			continue
		}
		l := unixLine{typ: s.typ}
		est := s.state == stateEstablished
		if s.file != nil {
			l.ino = s.ino
			l.state = ssUnconnected
			if est {
				l.state = ssConnected
			}
		} else {
			l.state = ssDisconnecting
			if est {
				l.state = ssConnecting
			}
		}
		if s.state == stateListen {
			l.flags = soAcceptCon
		}
		if len(s.addr) > 2 {
			p := s.addr[2:]
			if p[0] == 0 {
				l.path = "@" + string(bytes.ReplaceAll(p[1:], []byte{0}, []byte{'@'}))
			} else {
				if i := bytes.IndexByte(p, 0); i >= 0 {
					p = p[:i]
				}
				l.path = string(p)
			}
		}
		lines = append(lines, l)
	}
	mu.Unlock()
	slices.SortFunc(lines, func(a, b unixLine) int {
		if (a.ino == 0) != (b.ino == 0) {
			if a.ino == 0 {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.ino, b.ino)
	})
	var b strings.Builder
	b.WriteString("Num       RefCount Protocol Flags    Type St Inode Path\n")
	for _, l := range lines {
		fmt.Fprintf(&b, "%016x: %08X %08X %08X %04X %02X %5d", 0, 2, 0, l.flags, l.typ, l.state, l.ino)
		if l.path != "" {
			b.WriteString(" " + l.path)
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}
