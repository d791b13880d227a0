package inet

import (
	"encoding/binary"
	"strings"
	"sync"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// The MAC and configuration QEMU's user network gives the guest.
const testMAC = "\x52\x54\x00\x12\x34\x56"

var addEth0 sync.Once

// withEth0 adds eth0 to the stack as the virtio-net driver does, once
// for the package's tests (the stack has no way to remove a NIC).
func withEth0(t *testing.T) Iface {
	t.Helper()
	addEth0.Do(func() {
		_, err := AddInterface(Interface{Name: "eth0", Link: ethernet.New(channel.New(16, 1514, testMAC)),
			Addr: tcpip.AddrFrom4([4]byte{10, 0, 2, 15}), PrefixLen: 24, Gateway: tcpip.AddrFrom4([4]byte{10, 0, 2, 2})})
		if err != nil {
			t.Fatal(err)
		}
	})
	i, ok := InterfaceByName("eth0")
	if !ok {
		t.Fatal("no eth0")
	}
	return i
}

func TestEth0(t *testing.T) {
	i := withEth0(t)
	if i.Index != 2 || i.Type != linux.ARPHRD_ETHER || i.MTU != 1500 || string(i.HWAddr) != testMAC {
		t.Errorf("eth0: %+v", i)
	}
	if want := uint32(linux.IFF_UP | linux.IFF_BROADCAST | linux.IFF_RUNNING | linux.IFF_MULTICAST | linux.IFF_LOWER_UP); i.Flags != want {
		t.Errorf("eth0 flags %#x, want %#x", i.Flags, want)
	}
	c := memCtx{mem: make([]byte, 4096)}
	do := func(cmd uint32) []byte {
		copy(c.mem, ifreq("eth0"))
		if _, err := IfIoctl(c, cmd, base); err != nil {
			t.Errorf("ioctl %#x: %v", cmd, err)
		}
		return c.mem[16:ifreqSize]
	}
	if u := do(linux.SIOCGIFBRDADDR); [4]byte(u[4:8]) != [4]byte{10, 0, 2, 255} {
		t.Errorf("SIOCGIFBRDADDR eth0: %x", u)
	}
	if u := do(linux.SIOCGIFNETMASK); [4]byte(u[4:8]) != [4]byte{255, 255, 255, 0} {
		t.Errorf("SIOCGIFNETMASK eth0: %x", u)
	}
	if u := do(linux.SIOCGIFHWADDR); binary.LittleEndian.Uint16(u) != linux.ARPHRD_ETHER || string(u[2:8]) != testMAC {
		t.Errorf("SIOCGIFHWADDR eth0: %x", u)
	}
	if u := do(linux.SIOCGIFFLAGS); binary.LittleEndian.Uint16(u) != 0x1043 {
		t.Errorf("SIOCGIFFLAGS eth0: %x", u[:2])
	}

	route := strings.Split(string(formatRoute(Stack().GetRouteTable(), nicNames())), "\n")
	want := []string{
		"eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0",
		"eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
	}
	if len(route) != 4 || strings.TrimRight(route[1], " ") != want[0] || strings.TrimRight(route[2], " ") != want[1] {
		t.Errorf("/proc/net/route with eth0: %q", route)
	}
	if got := string(formatNetDev(Interfaces())); !strings.Contains(got, "\n  eth0:       0       0") {
		t.Errorf("/proc/net/dev: %s", got)
	}

	if err := Stack().AddStaticNeighbor(tcpip.NICID(i.Index), ipv4.ProtocolNumber, tcpip.AddrFrom4([4]byte{10, 0, 2, 2}), "\x52\x55\x0a\x00\x02\x02"); err != nil {
		t.Fatal(err)
	}
	wantARP := "IP address       HW type     Flags       HW address            Mask     Device\n" +
		"10.0.2.2         0x1         0x6         52:55:0a:00:02:02     *        eth0\n"
	if got := string(formatARP(Interfaces())); got != wantARP {
		t.Errorf("/proc/net/arp:\n%q\nwant\n%q", got, wantARP)
	}

	eth := map[string]string{}
	for _, d := range sysClassNet(Interfaces()) {
		if d.Name == "eth0" {
			for _, a := range d.Attrs {
				eth[a.Name] = a.Value
			}
		}
	}
	for k, v := range map[string]string{"ifindex": "2\n", "address": "52:54:00:12:34:56\n", "broadcast": "ff:ff:ff:ff:ff:ff\n",
		"flags": "0x1003\n", "operstate": "up\n", "type": "1\n", "mtu": "1500\n", "carrier": "1\n"} {
		if eth[k] != v {
			t.Errorf("/sys/class/net/eth0/%s = %q, want %q", k, eth[k], v)
		}
	}
}
