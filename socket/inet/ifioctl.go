package inet

import (
	"bytes"
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/socket"
)

// The interface ioctls (SIOCGIF*) that Linux answers on any socket:
// sock_do_ioctl hands a request the family does not know to dev_ifconf
// (SIOCGIFCONF) and dev_ioctl (net/core/dev_ioctl.c); AF_INET sockets
// answer the address requests first, in inet_ioctl → devinet_ioctl
// (net/ipv4/devinet.c). Interfaces cannot be changed: a request to set
// something is EOPNOTSUPP unless it changes nothing.

// The requests of include/uapi/linux/sockios.h that gVisor's abi/linux
// does not name.
const (
	siocsifflags   = 0x8914
	siocsifaddr    = 0x8916
	siocsifdstaddr = 0x8918
	siocsifbrdaddr = 0x891a
	siocsifnetmask = 0x891c
	siocsifmetric  = 0x891e
	siocsifmtu     = 0x8922
	siocsifname    = 0x8923
	siocsifhwaddr  = 0x8924
	siocgifslave   = 0x8929
	siocsiftxqlen  = 0x8943
	siocsifpflags  = 0x8934
	siocwandev     = 0x894a
	siocghwtstamp  = 0x89b1
	siocdevprivate = 0x89f0 // to 0x89ff
)

// ifreqSize is sizeof(struct ifreq): the name and a 24-byte union.
const ifreqSize = 40

// IfIoctl answers an interface ioctl on an AF_INET socket (inet_ioctl's
// address requests, then what any socket answers: DevIoctl); ENOTTY for
// a request it does not know.
func IfIoctl(c fs.Ctx, cmd uint32, arg uintptr) (uintptr, error) {
	switch cmd {
	case linux.SIOCGIFADDR, linux.SIOCGIFBRDADDR, linux.SIOCGIFNETMASK, linux.SIOCGIFDSTADDR, linux.SIOCGIFPFLAGS,
		siocsifaddr, siocsifbrdaddr, siocsifnetmask, siocsifdstaddr, siocsifpflags:
		var r [ifreqSize]byte
		if err := c.CopyIn(arg, r[:]); err != nil {
			return 0, err
		}
		if err := devinetIoctl(cmd, &r); err != nil {
			return 0, err
		}
		if cmd&1 == 1 { // a SIOCGIF* request, which returns the ifreq
			return 0, c.CopyOut(arg, r[:])
		}
		return 0, nil
	}
	return DevIoctl(c, cmd, arg)
}

// ifIoctl is the interface requests s answers: an AF_INET socket's
// inet_ioctl answers the address requests, an AF_INET6 socket's
// inet6_ioctl does not, so that they reach dev_ioctl, which does not
// know them either.
func (s *Sock) ifIoctl(c fs.Ctx, cmd uint32, arg uintptr) (uintptr, error) {
	if s.family == socket.AF_INET {
		return IfIoctl(c, cmd, arg)
	}
	return DevIoctl(c, cmd, arg)
}

// DevIoctl answers the interface ioctls every socket family takes
// (sock_do_ioctl's fallback: dev_ifconf and dev_ioctl); ENOTTY for
// others, the address requests included (only AF_INET sockets take
// those: IfIoctl).
func DevIoctl(c fs.Ctx, cmd uint32, arg uintptr) (uintptr, error) {
	switch cmd {
	case linux.SIOCGIFCONF:
		return 0, ifconf(c, arg)
	case linux.SIOCGIFNAME, linux.SIOCGIFHWADDR, linux.SIOCGIFFLAGS, linux.SIOCGIFMETRIC,
		linux.SIOCGIFMTU, siocgifslave, linux.SIOCGIFMAP, linux.SIOCGIFINDEX, linux.SIOCGIFTXQLEN:
		var r [ifreqSize]byte
		if err := c.CopyIn(arg, r[:]); err != nil {
			return 0, err
		}
		if err := devIoctl(cmd, &r); err != nil {
			return 0, err
		}
		return 0, c.CopyOut(arg, r[:])
	case siocsifflags, siocsifmetric, siocsifmtu, siocsifname, siocsifhwaddr, siocsiftxqlen:
		var r [ifreqSize]byte
		if err := c.CopyIn(arg, r[:]); err != nil {
			return 0, err
		}
		return 0, devSet(cmd, &r)
	}
	if cmd == siocwandev || cmd == siocghwtstamp || cmd >= siocdevprivate && cmd <= siocdevprivate+15 {
		// The driver's own requests (dev_ifsioc): no device here has
		// any.
		var r [ifreqSize]byte
		if err := c.CopyIn(arg, r[:]); err != nil {
			return 0, err
		}
		if _, _, err := findIface(&r); err != nil {
			return 0, err
		}
		return 0, linuxerr.EOPNOTSUPP
	}
	if cmd>>8 == 0x89 {
		// sock_do_ioctl copies the ifreq of any socket request in
		// before dev_ioctl finds it unknown.
		var r [ifreqSize]byte
		if err := c.CopyIn(arg, r[:]); err != nil {
			return 0, err
		}
	}
	return 0, linuxerr.ENOTTY
}

// ifreqName is the interface a request names: ifr_name up to its NUL
// (the last byte is taken as one), without an alias's ":N"
// (dev_ioctl); alias reports whether there was one.
func ifreqName(r *[ifreqSize]byte) (name string, alias bool) {
	r[linux.IFNAMSIZ-1] = 0
	n := r[:linux.IFNAMSIZ]
	if i := bytes.IndexByte(n, 0); i >= 0 {
		n = n[:i]
	}
	if i := bytes.IndexByte(n, ':'); i >= 0 {
		return string(n[:i]), true
	}
	return string(n), false
}

// findIface is the interface a request names, or ENODEV.
func findIface(r *[ifreqSize]byte) (Iface, bool, error) {
	name, alias := ifreqName(r)
	i, ok := InterfaceByName(name)
	if !ok {
		return Iface{}, false, linuxerr.ENODEV
	}
	return i, alias, nil
}

// union is the ifreq's union after the name.
func union(r *[ifreqSize]byte) []byte { return r[linux.IFNAMSIZ:] }

// devIoctl is dev_ioctl's requests that return a value.
func devIoctl(cmd uint32, r *[ifreqSize]byte) error {
	u := union(r)
	if cmd == linux.SIOCGIFNAME {
		// dev_ifname: the name of ifr_ifindex.
		r[linux.IFNAMSIZ-1] = 0
		i, ok := InterfaceByIndex(int32(binary.LittleEndian.Uint32(u)))
		if !ok {
			return linuxerr.ENODEV
		}
		clear(r[:linux.IFNAMSIZ])
		copy(r[:linux.IFNAMSIZ-1], i.Name)
		return nil
	}
	i, _, err := findIface(r)
	if err != nil {
		return err
	}
	switch cmd {
	case linux.SIOCGIFHWADDR:
		// netif_get_mac_address: sa_family is the hardware type,
		// sa_data the address (14 bytes at most).
		binary.LittleEndian.PutUint16(u, i.Type)
		clear(u[2:16])
		copy(u[2:16], i.HWAddr)
	case linux.SIOCGIFFLAGS:
		binary.LittleEndian.PutUint16(u, uint16(i.Flags)) // ifr_flags is a short
	case linux.SIOCGIFMETRIC:
		binary.LittleEndian.PutUint32(u, 0)
	case linux.SIOCGIFMTU:
		binary.LittleEndian.PutUint32(u, i.MTU)
	case siocgifslave:
		return linuxerr.EINVAL
	case linux.SIOCGIFMAP:
		clear(u) // no memory, I/O port, IRQ or DMA to report
	case linux.SIOCGIFINDEX:
		binary.LittleEndian.PutUint32(u, uint32(i.Index))
	case linux.SIOCGIFTXQLEN:
		binary.LittleEndian.PutUint32(u, i.TxQueueLen)
	}
	return nil
}

// devSet answers dev_ioctl's requests that change an interface: ENODEV
// for an unknown one; success for SIOCSIFFLAGS that changes no flag a
// user may change (dev_change_flags with nothing to do), EOPNOTSUPP
// otherwise.
func devSet(cmd uint32, r *[ifreqSize]byte) error {
	i, _, err := findIface(r)
	if err != nil {
		return err
	}
	if cmd == siocsifflags {
		// The flags dev_change_flags lets a user change.
		const changeable = linux.IFF_UP | linux.IFF_DEBUG | linux.IFF_NOTRAILERS | linux.IFF_NOARP |
			linux.IFF_DYNAMIC | linux.IFF_MULTICAST | linux.IFF_PORTSEL | linux.IFF_AUTOMEDIA |
			linux.IFF_PROMISC | linux.IFF_ALLMULTI
		want := uint32(binary.LittleEndian.Uint16(union(r)))
		if (want^i.Flags)&changeable == 0 {
			return nil
		}
	}
	return linuxerr.EOPNOTSUPP
}

// devinetIoctl is devinet_ioctl: the interface's IPv4 address, its
// broadcast address, peer or netmask as a sockaddr_in.
func devinetIoctl(cmd uint32, r *[ifreqSize]byte) error {
	u := union(r)
	var want [4]byte
	tryMatch := binary.LittleEndian.Uint16(u) == socket.AF_INET
	copy(want[:], u[4:8])
	switch cmd {
	case linux.SIOCGIFADDR, linux.SIOCGIFBRDADDR, linux.SIOCGIFDSTADDR, linux.SIOCGIFNETMASK:
		clear(u[:16])
		binary.LittleEndian.PutUint16(u, socket.AF_INET)
	case siocsifaddr, siocsifbrdaddr, siocsifnetmask, siocsifdstaddr:
	default:
		return linuxerr.EINVAL // SIOCGIFPFLAGS, SIOCSIFPFLAGS
	}
	i, alias, err := findIface(r)
	if err != nil {
		return err
	}
	// The address whose label is the name asked for, preferring the one
	// the caller gave; aliases have labels of their own, which oyako's
	// interfaces never have.
	var a IfAddr4
	found := false
	if !alias {
		for _, x := range i.Addrs {
			if x.Address.Len() != 4 {
				continue
			}
			if !found || tryMatch && x.Address.As4() == want {
				a, found = ifAddr4(&i, x.Address.As4(), x.PrefixLen), true
			}
		}
	}
	if !found && cmd != siocsifaddr {
		return linuxerr.EADDRNOTAVAIL
	}
	switch cmd {
	case linux.SIOCGIFADDR, linux.SIOCGIFDSTADDR:
		copy(u[4:8], a.Local[:])
	case linux.SIOCGIFBRDADDR:
		copy(u[4:8], a.Broadcast[:])
	case linux.SIOCGIFNETMASK:
		copy(u[4:8], a.Mask[:])
	default:
		return linuxerr.EOPNOTSUPP
	}
	return nil
}

// IfAddr4 is an interface's IPv4 address as struct in_ifaddr holds it.
type IfAddr4 struct {
	Local, Mask, Broadcast [4]byte
	PrefixLen              int
}

// ifAddr4 describes address a/prefixLen of i: its broadcast address is
// the subnet's last one on a broadcast interface (as `ip addr add ...
// brd +` and ifconfig set it), none on lo.
func ifAddr4(i *Iface, a [4]byte, prefixLen int) IfAddr4 {
	m := uint32(0)
	if prefixLen > 0 {
		m = ^uint32(0) << (32 - prefixLen)
	}
	r := IfAddr4{Local: a, PrefixLen: prefixLen}
	binary.BigEndian.PutUint32(r.Mask[:], m)
	if i.Flags&linux.IFF_BROADCAST != 0 && prefixLen < 31 {
		binary.BigEndian.PutUint32(r.Broadcast[:], binary.BigEndian.Uint32(a[:])|^m)
	}
	return r
}

// Addrs4 returns i's IPv4 addresses as in_ifaddrs.
func (i *Iface) Addrs4() []IfAddr4 {
	var out []IfAddr4
	for _, x := range i.Addrs {
		if x.Address.Len() == 4 {
			out = append(out, ifAddr4(i, x.Address.As4(), x.PrefixLen))
		}
	}
	return out
}

// ifconf is dev_ifconf: an ifreq per IPv4 address (inet_gifconf), the
// interfaces in order, as many as fit in ifc_len; with a null buffer
// only the length they would need. ifc_len becomes the bytes written.
func ifconf(c fs.Ctx, arg uintptr) error {
	var ic [16]byte // struct ifconf: int ifc_len, then the buffer's address
	if err := c.CopyIn(arg, ic[:]); err != nil {
		return err
	}
	n := int32(binary.LittleEndian.Uint32(ic[:]))
	buf := uintptr(binary.LittleEndian.Uint64(ic[8:]))
	total := int32(0)
	for _, i := range Interfaces() {
		for _, a := range i.Addrs4() {
			if buf == 0 {
				total += ifreqSize
				continue
			}
			if n-total < ifreqSize {
				break
			}
			var r [ifreqSize]byte
			copy(r[:linux.IFNAMSIZ-1], i.Name)
			binary.LittleEndian.PutUint16(r[16:], socket.AF_INET)
			copy(r[20:24], a.Local[:])
			if err := c.CopyOut(buf+uintptr(total), r[:]); err != nil {
				return linuxerr.EFAULT
			}
			total += ifreqSize
		}
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(total))
	return c.CopyOut(arg, b[:])
}
