package inet

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// TestEthernet adds an Ethernet interface as the virtio-net driver does
// (its link endpoint wrapped by ethernet, whose frames are 1514 bytes),
// on a subnet of its own so that interfaces other tests add do not
// matter, and reads it back through the ioctls, /proc/net and
// /sys/class/net.
func TestEthernet(t *testing.T) {
	const mac = "\x52\x54\x00\xab\xcd\xef"
	i, ok := InterfaceByName("ethtest")
	if !ok { // not added by an earlier run (-count)
		_, err := AddInterface(Interface{Name: "ethtest", Link: ethernet.New(channel.New(16, 1514, mac)),
			Addr: tcpip.AddrFrom4([4]byte{192, 168, 7, 5}), PrefixLen: 24, Gateway: tcpip.AddrFrom4([4]byte{192, 168, 7, 1})})
		if err != nil {
			t.Fatal(err)
		}
		i, ok = InterfaceByName("ethtest")
	}
	id := tcpip.NICID(i.Index)
	if !ok || i.Type != linux.ARPHRD_ETHER || i.MTU != 1500 || string(i.HWAddr) != mac {
		t.Errorf("ethtest: %+v", i)
	}
	if want := uint32(linux.IFF_UP | linux.IFF_BROADCAST | linux.IFF_RUNNING | linux.IFF_MULTICAST | linux.IFF_LOWER_UP); i.Flags != want {
		t.Errorf("flags %#x, want %#x", i.Flags, want)
	}
	c := memCtx{mem: make([]byte, 4096)}
	do := func(cmd uint32) []byte {
		copy(c.mem, ifreq("ethtest"))
		if _, err := IfIoctl(c, cmd, base); err != nil {
			t.Errorf("ioctl %#x: %v", cmd, err)
		}
		return c.mem[16:ifreqSize]
	}
	if u := do(linux.SIOCGIFBRDADDR); [4]byte(u[4:8]) != [4]byte{192, 168, 7, 255} {
		t.Errorf("SIOCGIFBRDADDR: %x", u)
	}
	if u := do(linux.SIOCGIFNETMASK); [4]byte(u[4:8]) != [4]byte{255, 255, 255, 0} {
		t.Errorf("SIOCGIFNETMASK: %x", u)
	}
	if u := do(linux.SIOCGIFHWADDR); binary.LittleEndian.Uint16(u) != linux.ARPHRD_ETHER || string(u[2:8]) != mac {
		t.Errorf("SIOCGIFHWADDR: %x", u)
	}
	if u := do(linux.SIOCGIFFLAGS); binary.LittleEndian.Uint16(u) != 0x1043 {
		t.Errorf("SIOCGIFFLAGS: %x", u[:2])
	}

	// Its routes in /proc/net/route, the default one first.
	var mine []string
	for _, l := range strings.Split(string(formatRoute(Stack().GetRouteTable(), nicNames())), "\n") {
		if strings.HasPrefix(l, "ethtest\t") {
			mine = append(mine, strings.TrimRight(l, " "))
		}
	}
	want := []string{
		"ethtest\t00000000\t0107A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
		"ethtest\t0007A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
	}
	if strings.Join(mine, "\n") != strings.Join(want, "\n") {
		t.Errorf("/proc/net/route: %q, want %q", mine, want)
	}
	if got := string(formatNetDev(Interfaces())); !strings.Contains(got, "\nethtest:       0       0") {
		t.Errorf("/proc/net/dev: %s", got)
	}

	if err := Stack().AddStaticNeighbor(id, ipv4.ProtocolNumber, tcpip.AddrFrom4([4]byte{192, 168, 7, 1}), "\x52\x55\x0a\x00\x02\x02"); err != nil {
		t.Fatal(err)
	}
	if want, got := "192.168.7.1      0x1         0x6         52:55:0a:00:02:02     *        ethtest\n", string(formatARP(Interfaces())); !strings.Contains(got, want) {
		t.Errorf("/proc/net/arp:\n%s\nhas no %q", got, want)
	}

	attrs := map[string]string{}
	for _, d := range sysClassNet(Interfaces()) {
		if d.Name == "ethtest" {
			for _, a := range d.Attrs {
				attrs[a.Name] = a.Value
			}
		}
	}
	for k, v := range map[string]string{"ifindex": fmt.Sprintf("%d\n", id), "address": "52:54:00:ab:cd:ef\n", "broadcast": "ff:ff:ff:ff:ff:ff\n",
		"flags": "0x1003\n", "operstate": "up\n", "type": "1\n", "mtu": "1500\n", "carrier": "1\n"} {
		if attrs[k] != v {
			t.Errorf("/sys/class/net/ethtest/%s = %q, want %q", k, attrs[k], v)
		}
	}
}
