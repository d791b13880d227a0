package inet

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/tcpip"

	"oyako/socket"
)

// Sizes of struct sockaddr_in and struct sockaddr_in6, and the shortest
// sockaddr_in6 Linux takes (SIN6_LEN_RFC2133: without sin6_scope_id).
const (
	sizeofSockaddrIn   = 16
	sizeofSockaddrIn6  = 28
	sin6LenRFC2133     = 24
	v4MappedPrefixSize = 12
)

// parseAddr decodes a socket address given to bind, connect or sendto
// on a socket of family (inet_bind/inet6_bind's and
// inet_dgram_connect's checks): EINVAL for a length below the family's
// address, EAFNOSUPPORT for another family; with v4ok an AF_INET6
// socket takes an IPv4 address as its v4-mapped one. The unspecified address
// (0.0.0.0, ::) becomes netstack's empty address. family is the family
// the address has, which may be AF_UNSPEC (its caller decides).
func parseAddr(sockFamily int, b []byte, v4ok bool) (addr tcpip.FullAddress, family int, err error) {
	if len(b) < 2 {
		return addr, 0, linuxerr.EINVAL
	}
	family = int(binary.LittleEndian.Uint16(b))
	switch sockFamily {
	case socket.AF_INET:
		if len(b) < sizeofSockaddrIn {
			return addr, family, linuxerr.EINVAL
		}
		if family != socket.AF_INET {
			return addr, family, linuxerr.EAFNOSUPPORT
		}
		addr.Port = binary.BigEndian.Uint16(b[2:])
		addr.Addr = ipAddr(b[4:8])
	default:
		if v4ok && family == socket.AF_INET {
			// A datagram socket's connect and sendto take an IPv4
			// address on an AF_INET6 socket (__ip6_datagram_connect,
			// udpv6_sendmsg): it stands for its v4-mapped form.
			if len(b) < sizeofSockaddrIn {
				return addr, family, linuxerr.EINVAL
			}
			var m [16]byte
			m[10], m[11] = 0xff, 0xff
			copy(m[12:], b[4:8])
			addr.Port = binary.BigEndian.Uint16(b[2:])
			addr.Addr = tcpip.AddrFrom16(m)
			return addr, family, nil
		}
		if len(b) < sin6LenRFC2133 {
			return addr, family, linuxerr.EINVAL
		}
		if family != socket.AF_INET6 {
			return addr, family, linuxerr.EAFNOSUPPORT
		}
		addr.Port = binary.BigEndian.Uint16(b[2:])
		addr.Addr = ipAddr(b[8:24])
		if len(b) >= sizeofSockaddrIn6 {
			addr.NIC = tcpip.NICID(binary.LittleEndian.Uint32(b[24:]))
		}
	}
	return addr, family, nil
}

// ipAddr is the netstack address of an IPv4 or IPv6 address's bytes:
// the empty address for the unspecified one, as netstack expects.
func ipAddr(b []byte) tcpip.Address {
	for _, c := range b {
		if c != 0 {
			return tcpip.AddrFromSlice(b)
		}
	}
	return tcpip.Address{}
}

// sockaddr encodes a as a struct sockaddr_in (for an AF_INET socket) or
// sockaddr_in6 (AF_INET6: IPv4 addresses shown v4-mapped), as
// inet_getname and inet6_getname write them.
func sockaddr(family int, a tcpip.FullAddress) []byte {
	if family == socket.AF_INET {
		b := make([]byte, sizeofSockaddrIn)
		binary.LittleEndian.PutUint16(b, socket.AF_INET)
		binary.BigEndian.PutUint16(b[2:], a.Port)
		if a.Addr.Len() == 4 {
			copy(b[4:8], a.Addr.AsSlice())
		} else if a.Addr.Len() == 16 {
			// A v4-mapped address reaching an AF_INET socket: its v4 part.
			copy(b[4:8], a.Addr.AsSlice()[v4MappedPrefixSize:])
		}
		return b
	}
	b := make([]byte, sizeofSockaddrIn6)
	binary.LittleEndian.PutUint16(b, socket.AF_INET6)
	binary.BigEndian.PutUint16(b[2:], a.Port)
	switch a.Addr.Len() {
	case 16:
		ip := a.Addr.As16()
		copy(b[8:24], ip[:])
		if isLinkLocal(ip) {
			binary.LittleEndian.PutUint32(b[24:], uint32(a.NIC))
		}
	case 4:
		b[18], b[19] = 0xff, 0xff
		copy(b[20:24], a.Addr.AsSlice())
	}
	return b
}

// isLinkLocal tells fe80::/10 addresses, whose sin6_scope_id names their
// interface.
func isLinkLocal(ip [16]byte) bool { return ip[0] == 0xfe && ip[1]&0xc0 == 0x80 }

// isV4Mapped tells ::ffff:a.b.c.d addresses.
func isV4Mapped(a tcpip.Address) bool {
	if a.Len() != 16 {
		return false
	}
	ip := a.As16()
	for _, c := range ip[:10] {
		if c != 0 {
			return false
		}
	}
	return ip[10] == 0xff && ip[11] == 0xff
}
