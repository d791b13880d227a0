package syscalls

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"

	"oyako/kernel/task"
	"oyako/socket"
)

// strace's decoding of the socket calls' arguments: families, types,
// message flags, option names and struct sockaddr_un.

func init() {
	for name, spec := range map[string][]string{
		"socket":      {"family", "socktype", "d"},
		"socketpair":  {"family", "socktype", "d", "pipefdout"},
		"bind":        {"fd", "sockaddr:2", "u"},
		"connect":     {"fd", "sockaddr:2", "u"},
		"listen":      {"fd", "d"},
		"accept":      {"fd", "sockaddrout:2", "socklenout"},
		"accept4":     {"fd", "sockaddrout:2", "socklenout", "sockflags"},
		"getsockname": {"fd", "sockaddrout:2", "socklenout"},
		"getpeername": {"fd", "sockaddrout:2", "socklenout"},
		"sendto":      {"fd", "bufin:2", "u", "msgflags", "sockaddr:5", "u"},
		"recvfrom":    {"fd", "bufout:2", "u", "msgflags", "sockaddrout:5", "socklenout"},
		"sendmsg":     {"fd", "p", "msgflags"},
		"recvmsg":     {"fd", "p", "msgflags"},
		"sendmmsg":    {"fd", "p", "u", "msgflags"},
		"recvmmsg":    {"fd", "p", "u", "msgflags", "timespec"},
		"shutdown":    {"fd", "shut"},
		"setsockopt":  {"fd", "sollevel", "soname", "p", "u"},
		"getsockopt":  {"fd", "sollevel", "soname", "p", "socklenout"},
	} {
		argSpecs[name] = spec
	}
	extraArgKinds = append(extraArgKinds, formatSocketArg)
}

var familyNames = map[uint64]string{socket.AF_UNSPEC: "AF_UNSPEC", socket.AF_UNIX: "AF_UNIX", socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6", 16: "AF_NETLINK", 17: "AF_PACKET"}

var sockTypeNames = []string{1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM", 5: "SOCK_SEQPACKET", 6: "SOCK_DCCP", 10: "SOCK_PACKET"}

var sockFlagNames = []flagName{{socket.SOCK_NONBLOCK, "SOCK_NONBLOCK"}, {socket.SOCK_CLOEXEC, "SOCK_CLOEXEC"}}

var msgFlagNames = []flagName{{socket.MSG_OOB, "MSG_OOB"}, {socket.MSG_PEEK, "MSG_PEEK"}, {socket.MSG_DONTROUTE, "MSG_DONTROUTE"},
	{socket.MSG_CTRUNC, "MSG_CTRUNC"}, {socket.MSG_TRUNC, "MSG_TRUNC"}, {socket.MSG_DONTWAIT, "MSG_DONTWAIT"}, {socket.MSG_EOR, "MSG_EOR"},
	{socket.MSG_WAITALL, "MSG_WAITALL"}, {socket.MSG_ERRQUEUE, "MSG_ERRQUEUE"}, {socket.MSG_NOSIGNAL, "MSG_NOSIGNAL"}, {socket.MSG_MORE, "MSG_MORE"},
	{socket.MSG_WAITFORONE, "MSG_WAITFORONE"}, {socket.MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC"}}

var soNames = map[uint64]string{socket.SO_DEBUG: "SO_DEBUG", socket.SO_REUSEADDR: "SO_REUSEADDR", socket.SO_TYPE: "SO_TYPE", socket.SO_ERROR: "SO_ERROR",
	socket.SO_DONTROUTE: "SO_DONTROUTE", socket.SO_BROADCAST: "SO_BROADCAST", socket.SO_SNDBUF: "SO_SNDBUF", socket.SO_RCVBUF: "SO_RCVBUF",
	socket.SO_KEEPALIVE: "SO_KEEPALIVE", socket.SO_OOBINLINE: "SO_OOBINLINE", socket.SO_NO_CHECK: "SO_NO_CHECK", socket.SO_PRIORITY: "SO_PRIORITY",
	socket.SO_LINGER: "SO_LINGER", socket.SO_REUSEPORT: "SO_REUSEPORT", socket.SO_PASSCRED: "SO_PASSCRED", socket.SO_PEERCRED: "SO_PEERCRED",
	socket.SO_RCVLOWAT: "SO_RCVLOWAT", socket.SO_SNDLOWAT: "SO_SNDLOWAT", socket.SO_RCVTIMEO: "SO_RCVTIMEO_OLD", socket.SO_SNDTIMEO: "SO_SNDTIMEO_OLD",
	socket.SO_ACCEPTCONN: "SO_ACCEPTCONN", socket.SO_SNDBUFFORCE: "SO_SNDBUFFORCE", socket.SO_RCVBUFFORCE: "SO_RCVBUFFORCE",
	socket.SO_PROTOCOL: "SO_PROTOCOL", socket.SO_DOMAIN: "SO_DOMAIN"}

// formatSocketArg formats the argument kinds of the socket calls; ok is
// false for a kind it does not know.
func formatSocketArg(t *task.Task, kind string, n int, a Args, v uintptr, err error) (s string, ok bool) {
	switch kind {
	case "family":
		return enumMap(uint64(v), familyNames), true
	case "socktype":
		s := enumName(uint64(v)&socket.SOCK_TYPE_MASK, sockTypeNames)
		if f := uint64(v) &^ socket.SOCK_TYPE_MASK; f != 0 {
			s += "|" + flagList(f, sockFlagNames, "0")
		}
		return s, true
	case "sockflags":
		return flagList(uint64(v), sockFlagNames, "0"), true
	case "msgflags":
		return flagList(uint64(uint32(v)), msgFlagNames, "0"), true
	case "shut":
		return enumName(uint64(v), []string{"SHUT_RD", "SHUT_WR", "SHUT_RDWR"}), true
	case "sollevel":
		return enumMap(uint64(v), map[uint64]string{socket.SOL_SOCKET: "SOL_SOCKET"}), true
	case "soname":
		if a[1] == socket.SOL_SOCKET {
			return enumMap(uint64(v), soNames), true
		}
		return strconv.Itoa(int(int32(v))), true
	case "sockaddr":
		return structArg(t, v, int(min(uint32(a[n]), socket.SockaddrMax)), false, nil, fmtSockaddr), true
	case "sockaddrout":
		if v == 0 || err != nil || a[n] == 0 {
			return ptr(uint64(v)), true
		}
		var lb [4]byte
		if t.CopyIn(a[n], lb[:]) != nil {
			return ptr(uint64(v)), true
		}
		return structArg(t, v, int(min(binary.LittleEndian.Uint32(lb[:]), socket.SockaddrMax)), true, nil, fmtSockaddr), true
	case "socklenout":
		return structArg(t, v, 4, true, err, func(b []byte) string { return fmt.Sprintf("[%d]", binary.LittleEndian.Uint32(b)) }), true
	}
	return "", false
}

// fmtSockaddr formats a socket address as strace does:
// {sa_family=AF_UNIX, sun_path="/path"}, @"name" for an abstract one;
// {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}
// and strace's inet_pton form for AF_INET6.
func fmtSockaddr(b []byte) string {
	if len(b) < 2 {
		return "{}"
	}
	fam := uint64(binary.LittleEndian.Uint16(b))
	s := "{sa_family=" + enumMap(fam, familyNames)
	if fam == socket.AF_UNIX && len(b) > 2 {
		p := b[2:]
		if p[0] == 0 {
			s += ", sun_path=@" + quote(p[1:], len(p))
		} else {
			for i, c := range p {
				if c == 0 {
					p = p[:i]
					break
				}
			}
			s += ", sun_path=" + quote(p, len(p))
		}
	}
	switch {
	case fam == socket.AF_INET && len(b) >= 8:
		a := netip.AddrFrom4([4]byte(b[4:8]))
		s += fmt.Sprintf(", sin_port=htons(%d), sin_addr=inet_addr(%q)", binary.BigEndian.Uint16(b[2:]), a.String())
	case fam == socket.AF_INET6 && len(b) >= 24:
		a := netip.AddrFrom16([16]byte(b[8:24]))
		s += fmt.Sprintf(", sin6_port=htons(%d), sin6_flowinfo=htonl(%d), inet_pton(AF_INET6, %q, &sin6_addr)",
			binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint32(b[4:]), a.String())
		if len(b) >= 28 {
			s += fmt.Sprintf(", sin6_scope_id=%d", binary.LittleEndian.Uint32(b[24:]))
		}
	}
	return s + "}"
}
