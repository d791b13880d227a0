package inet

import (
	"encoding/binary"
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// memCtx is a caller whose user memory is one buffer at address base:
// copies outside it fail with EFAULT.
type memCtx struct{ mem []byte }

const base = 0x10000

func (memCtx) Block(ready <-chan struct{}) error { <-ready; return nil }
func (memCtx) PID() int32                        { return 1 }

func (c memCtx) span(addr uintptr, n int) ([]byte, error) {
	if addr < base || addr-base+uintptr(n) > uintptr(len(c.mem)) {
		return nil, linuxerr.EFAULT
	}
	return c.mem[addr-base : addr-base+uintptr(n)], nil
}

func (c memCtx) CopyIn(addr uintptr, dst []byte) error {
	s, err := c.span(addr, len(dst))
	if err == nil {
		copy(dst, s)
	}
	return err
}

func (c memCtx) CopyOut(addr uintptr, src []byte) error {
	s, err := c.span(addr, len(src))
	if err == nil {
		copy(s, src)
	}
	return err
}

func TestInterfacesLoopback(t *testing.T) {
	ifs := Interfaces()
	if len(ifs) == 0 || ifs[0].Name != "lo" || ifs[0].Index != 1 {
		t.Fatalf("interfaces: %+v", ifs)
	}
	lo := ifs[0]
	if lo.Flags != linux.IFF_UP|linux.IFF_LOOPBACK|linux.IFF_RUNNING|linux.IFF_LOWER_UP {
		t.Errorf("lo flags %#x", lo.Flags)
	}
	if lo.MTU != 65536 || lo.Type != linux.ARPHRD_LOOPBACK || len(lo.HWAddr) != 6 {
		t.Errorf("lo: %+v", lo)
	}
	if len(lo.Addrs) != 2 || lo.Addrs[0].String() != "127.0.0.1/8" || lo.Addrs[1].String() != "::1/128" {
		t.Errorf("lo addresses %v", lo.Addrs)
	}
}

func TestProcNetDevAndIfInet6(t *testing.T) {
	ifs := []Iface{{Index: 1, Name: "lo", Stats: IfStats{RxBytes: 1234, RxPackets: 5, TxBytes: 1234, TxPackets: 5},
		Addrs: []tcpip.AddressWithPrefix{{Address: tcpip.AddrFrom16([16]byte{15: 1}), PrefixLen: 128}}}}
	want := "Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
		"    lo:    1234       5    0    0    0     0          0         0     1234       5    0    0    0     0       0          0\n"
	if got := string(formatNetDev(ifs)); got != want {
		t.Errorf("/proc/net/dev:\n%s\nwant\n%s", got, want)
	}
	if got, want := string(formatIfInet6(ifs)), "00000000000000000000000000000001 01 80 10 80       lo\n"; got != want {
		t.Errorf("/proc/net/if_inet6: %q, want %q", got, want)
	}
}

func TestProcNetRoute(t *testing.T) {
	eth := tcpip.AddrFrom4([4]byte{10, 0, 2, 15})
	routes := []tcpip.Route{
		{Destination: prefix(tcpip.AddrFrom4([4]byte{127}), 8), NIC: 1},
		{Destination: prefix(eth, 24), NIC: 2},
		{Destination: header4Any(), Gateway: tcpip.AddrFrom4([4]byte{10, 0, 2, 2}), NIC: 2},
	}
	got := strings.Split(string(formatRoute(routes, map[tcpip.NICID]string{1: "lo", 2: "eth0"})), "\n")
	want := []string{
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
		"eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0",
		"eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
		"",
	}
	if len(got) != len(want) {
		t.Fatalf("/proc/net/route: %q", got)
	}
	for i := range want {
		if len(got[i]) != 127 && i < 3 || strings.TrimRight(got[i], " ") != want[i] {
			t.Errorf("line %d: %q, want %q padded to 127", i, got[i], want[i])
		}
	}
}

// listen makes a netstack endpoint listening on addr:port.
func listen(t *testing.T, net tcpip.NetworkProtocolNumber, addr tcpip.Address, port uint16) tcpip.Endpoint {
	ep, err := Stack().NewEndpoint(tcp.ProtocolNumber, net, &waiter.Queue{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ep.Bind(tcpip.FullAddress{Addr: addr, Port: port}); err != nil {
		t.Fatal(err)
	}
	if err := ep.Listen(10); err != nil {
		t.Fatal(err)
	}
	return ep
}

func TestProcNetTCPAndUDP(t *testing.T) {
	l4 := listen(t, ipv4.ProtocolNumber, tcpip.AddrFrom4([4]byte{127, 0, 0, 1}), 8080)
	defer l4.Close()
	l6 := listen(t, ipv6.ProtocolNumber, tcpip.Address{}, 8081)
	defer l6.Close()
	u, err := Stack().NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &waiter.Queue{})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if err := u.Bind(tcpip.FullAddress{Port: 5353}); err != nil {
		t.Fatal(err)
	}

	// Other tests of the package leave connections in TIME_WAIT: the
	// listeners come first, and each file has the lines asked for.
	tcp4 := strings.Split(string(formatTCP(transportSocks(tcp.ProtocolNumber, ipv4.ProtocolNumber), false)), "\n")
	if len(tcp4) < 3 || len(tcp4[0]) != 149 || len(tcp4[1]) != 149 || !strings.HasPrefix(tcp4[0], "  sl  local_address rem_address   st tx_queue") {
		t.Fatalf("/proc/net/tcp: %q", tcp4)
	}
	if want := "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0"; strings.TrimRight(tcp4[1], " ") != want {
		t.Errorf("/proc/net/tcp's listener:\n%q\nwant\n%q", tcp4[1], want)
	}
	tcp6 := strings.Split(string(formatTCP(transportSocks(tcp.ProtocolNumber, ipv6.ProtocolNumber), true)), "\n")
	if len(tcp6) < 3 || !strings.HasPrefix(tcp6[1], "   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A ") {
		t.Errorf("/proc/net/tcp6: %q", tcp6)
	}
	udp := string(formatUDP(transportSocks(udp.ProtocolNumber, ipv4.ProtocolNumber), false))
	if want := "\n  233: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 0 2 0000000000000000 0" + strings.Repeat(" ", 13) + "\n"; !strings.Contains(udp, want) {
		t.Errorf("/proc/net/udp: %q has no %q", udp, want)
	}
}

func TestHexAddr6Mapped(t *testing.T) {
	if got, want := hexAddr6(tcpip.AddrFrom4([4]byte{127, 0, 0, 1})), "0000000000000000FFFF00000100007F"; got != want {
		t.Errorf("v4-mapped: %s, want %s", got, want)
	}
}

func TestSysClassNet(t *testing.T) {
	devs := sysClassNet(Interfaces())
	if len(devs) == 0 || devs[0].Name != "lo" {
		t.Fatalf("%+v", devs)
	}
	got := map[string]string{}
	for _, a := range devs[0].Attrs {
		got[a.Name] = a.Value
	}
	for k, v := range map[string]string{"ifindex": "1\n", "address": "00:00:00:00:00:00\n", "mtu": "65536\n", "flags": "0x9\n",
		"operstate": "unknown\n", "type": "772\n", "carrier": "1\n"} {
		if got[k] != v {
			t.Errorf("/sys/class/net/lo/%s = %q, want %q", k, got[k], v)
		}
	}
}

// ifreq makes a struct ifreq naming name.
func ifreq(name string) []byte {
	r := make([]byte, ifreqSize)
	copy(r, name)
	return r
}

func TestIfIoctl(t *testing.T) {
	c := memCtx{mem: make([]byte, 4096)}
	do := func(cmd uint32, r []byte) ([]byte, error) {
		copy(c.mem, r)
		_, err := IfIoctl(c, cmd, base)
		return c.mem[:ifreqSize], err
	}
	r, err := do(linux.SIOCGIFFLAGS, ifreq("lo"))
	if err != nil || binary.LittleEndian.Uint16(r[16:]) != 0x49 {
		t.Errorf("SIOCGIFFLAGS lo: %x %v", r[16:18], err)
	}
	r, err = do(linux.SIOCGIFADDR, ifreq("lo"))
	if err != nil || binary.LittleEndian.Uint16(r[16:]) != 2 || [4]byte(r[20:24]) != [4]byte{127, 0, 0, 1} {
		t.Errorf("SIOCGIFADDR lo: %x %v", r[16:32], err)
	}
	r, err = do(linux.SIOCGIFNETMASK, ifreq("lo"))
	if err != nil || [4]byte(r[20:24]) != [4]byte{255, 0, 0, 0} {
		t.Errorf("SIOCGIFNETMASK lo: %x %v", r[16:32], err)
	}
	r, err = do(linux.SIOCGIFINDEX, ifreq("lo"))
	if err != nil || binary.LittleEndian.Uint32(r[16:]) != 1 {
		t.Errorf("SIOCGIFINDEX lo: %x %v", r[16:20], err)
	}
	r, err = do(linux.SIOCGIFMTU, ifreq("lo:0"))
	if err != nil || binary.LittleEndian.Uint32(r[16:]) != 65536 {
		t.Errorf("SIOCGIFMTU lo:0: %x %v", r[16:20], err)
	}
	r, err = do(linux.SIOCGIFHWADDR, ifreq("lo"))
	if err != nil || binary.LittleEndian.Uint16(r[16:]) != linux.ARPHRD_LOOPBACK {
		t.Errorf("SIOCGIFHWADDR lo: %x %v", r[16:32], err)
	}
	q := make([]byte, ifreqSize)
	binary.LittleEndian.PutUint32(q[16:], 1)
	r, err = do(linux.SIOCGIFNAME, q)
	if err != nil || string(r[:3]) != "lo\x00" {
		t.Errorf("SIOCGIFNAME 1: %q %v", r[:16], err)
	}
	binary.LittleEndian.PutUint32(q[16:], 99)
	if _, err := do(linux.SIOCGIFNAME, q); err != linuxerr.ENODEV {
		t.Errorf("SIOCGIFNAME 99: %v, want ENODEV", err)
	}
	if _, err := do(linux.SIOCGIFFLAGS, ifreq("nope0")); err != linuxerr.ENODEV {
		t.Errorf("SIOCGIFFLAGS nope0: %v, want ENODEV", err)
	}
	if _, err := do(linux.SIOCGIFADDR, ifreq("lo:1")); err != linuxerr.EADDRNOTAVAIL {
		t.Errorf("SIOCGIFADDR lo:1: %v, want EADDRNOTAVAIL", err)
	}
	if _, err := do(linux.SIOCGIFPFLAGS, ifreq("lo")); err != linuxerr.EINVAL {
		t.Errorf("SIOCGIFPFLAGS: %v, want EINVAL", err)
	}
	if _, err := do(0x1234, ifreq("lo")); err != linuxerr.ENOTTY {
		t.Errorf("unknown request: %v, want ENOTTY", err)
	}
	if _, err := IfIoctl(c, linux.SIOCGIFFLAGS, 8); err != linuxerr.EFAULT {
		t.Errorf("bad pointer: %v, want EFAULT", err)
	}
	// Only AF_INET sockets answer the address requests.
	copy(c.mem, ifreq("lo"))
	if _, err := DevIoctl(c, linux.SIOCGIFADDR, base); err != linuxerr.ENOTTY {
		t.Errorf("DevIoctl SIOCGIFADDR: %v, want ENOTTY", err)
	}
	// SIOCSIFFLAGS that changes nothing succeeds; taking lo down is not
	// supported.
	s := ifreq("lo")
	binary.LittleEndian.PutUint16(s[16:], 0x49)
	if _, err := do(0x8914, s); err != nil {
		t.Errorf("SIOCSIFFLAGS unchanged: %v", err)
	}
	binary.LittleEndian.PutUint16(s[16:], 0x48)
	if _, err := do(0x8914, s); err != linuxerr.EOPNOTSUPP {
		t.Errorf("SIOCSIFFLAGS down: %v", err)
	}
}

func TestIfconf(t *testing.T) {
	c := memCtx{mem: make([]byte, 4096)}
	// An ifreq per IPv4 address: lo's, and eth0's if another test added
	// it.
	n := uint32(0)
	for _, i := range Interfaces() {
		n += uint32(len(i.Addrs4())) * ifreqSize
	}
	// A null buffer asks for the length needed.
	clear(c.mem[:16])
	if _, err := IfIoctl(c, linux.SIOCGIFCONF, base); err != nil || binary.LittleEndian.Uint32(c.mem) != n {
		t.Errorf("SIOCGIFCONF null: %d %v", binary.LittleEndian.Uint32(c.mem), err)
	}
	binary.LittleEndian.PutUint32(c.mem, 200)
	binary.LittleEndian.PutUint64(c.mem[8:], base+64)
	if _, err := IfIoctl(c, linux.SIOCGIFCONF, base); err != nil || binary.LittleEndian.Uint32(c.mem) != n {
		t.Fatalf("SIOCGIFCONF: %d %v", binary.LittleEndian.Uint32(c.mem), err)
	}
	r := c.mem[64 : 64+ifreqSize]
	if string(r[:3]) != "lo\x00" || binary.LittleEndian.Uint16(r[16:]) != 2 || [4]byte(r[20:24]) != [4]byte{127, 0, 0, 1} {
		t.Errorf("SIOCGIFCONF entry: %x", r)
	}
	// Too short for one entry: none.
	binary.LittleEndian.PutUint32(c.mem, 39)
	if _, err := IfIoctl(c, linux.SIOCGIFCONF, base); err != nil || binary.LittleEndian.Uint32(c.mem) != 0 {
		t.Errorf("SIOCGIFCONF short: %d %v", binary.LittleEndian.Uint32(c.mem), err)
	}
	// A buffer outside memory.
	binary.LittleEndian.PutUint32(c.mem, 200)
	binary.LittleEndian.PutUint64(c.mem[8:], 8)
	if _, err := IfIoctl(c, linux.SIOCGIFCONF, base); err != linuxerr.EFAULT {
		t.Errorf("SIOCGIFCONF bad buffer: %v", err)
	}
}
