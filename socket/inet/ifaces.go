package inet

import (
	"cmp"
	"slices"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// The interfaces as the programs that ask about the network see them
// (struct net_device's fields that dev_ioctl, rtnetlink, /proc/net/dev and
// /sys/class/net show), read from the stack's NICs. One description serves
// the interface ioctls (ifioctl.go), /proc/net and /sys/class/net
// (procnet.go) and NETLINK_ROUTE (socket/netlink), so that they agree.

// Iface describes one network interface.
type Iface struct {
	Index int32  // ifindex: the NIC's number
	Name  string // lo, eth0
	// Type is the ARPHRD_* hardware type (ARPHRD_LOOPBACK,
	// ARPHRD_ETHER).
	Type uint16
	// Flags are the IFF_* flags as dev_get_flags reports them (with
	// IFF_LOWER_UP, which the 16-bit ifr_flags cuts off).
	Flags      uint32
	MTU        uint32
	TxQueueLen uint32
	// HWAddr and Broadcast are the link-layer address and broadcast
	// address (dev_addr, broadcast): six zero bytes for lo, as
	// loopback_setup gives it.
	HWAddr, Broadcast []byte
	// Addrs are the interface's addresses: IPv4 first, then IPv6, each
	// in the order they were added.
	Addrs []tcpip.AddressWithPrefix
	Stats IfStats
}

// IfStats are an interface's counters (struct rtnl_link_stats64's first
// fields; the others are 0).
type IfStats struct {
	RxPackets, TxPackets uint64
	RxBytes, TxBytes     uint64
	RxErrors, TxErrors   uint64
	RxDropped, TxDropped uint64
	Multicast            uint64
}

// Linux's default tx_queue_len (DEFAULT_TX_QUEUE_LEN), which both lo and
// an Ethernet device have.
const defaultTxQueueLen = 1000

// Running reports whether the interface is up with its carrier on
// (netif_running and netif_carrier_ok).
func (i *Iface) Running() bool { return i.Flags&linux.IFF_RUNNING != 0 }

// Loopback reports whether i is lo.
func (i *Iface) Loopback() bool { return i.Flags&linux.IFF_LOOPBACK != 0 }

// Addr4 returns the interface's first IPv4 address (the primary one,
// which SIOCGIFADDR reports), if any.
func (i *Iface) Addr4() (tcpip.AddressWithPrefix, bool) {
	for _, a := range i.Addrs {
		if a.Address.Len() == 4 {
			return a, true
		}
	}
	return tcpip.AddressWithPrefix{}, false
}

// Interfaces returns the stack's interfaces in ifindex order.
func Interfaces() []Iface {
	infos := Stack().NICInfo()
	out := make([]Iface, 0, len(infos))
	for id, info := range infos {
		out = append(out, ifaceOf(id, &info))
	}
	slices.SortFunc(out, func(a, b Iface) int { return cmp.Compare(a.Index, b.Index) })
	return out
}

// InterfaceByName finds an interface by its name.
func InterfaceByName(name string) (Iface, bool) {
	for _, i := range Interfaces() {
		if i.Name == name {
			return i, true
		}
	}
	return Iface{}, false
}

// InterfaceByIndex finds an interface by its index.
func InterfaceByIndex(index int32) (Iface, bool) {
	for _, i := range Interfaces() {
		if i.Index == index {
			return i, true
		}
	}
	return Iface{}, false
}

// ifaceOf describes NIC id from the stack's information about it.
func ifaceOf(id tcpip.NICID, info *stack.NICInfo) Iface {
	i := Iface{Index: int32(id), Name: info.Name, MTU: info.MTU, TxQueueLen: defaultTxQueueLen}
	switch {
	case info.Flags.Loopback:
		i.Type = linux.ARPHRD_LOOPBACK
		i.Flags = linux.IFF_LOOPBACK
		i.HWAddr, i.Broadcast = make([]byte, 6), make([]byte, 6)
	case info.ARPHardwareType == header.ARPHardwareEther || len(info.LinkAddress) == 6:
		i.Type = linux.ARPHRD_ETHER
		i.Flags = linux.IFF_BROADCAST | linux.IFF_MULTICAST
		i.HWAddr = []byte(info.LinkAddress)
		i.Broadcast = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	default:
		i.Type = linux.ARPHRD_NONE
		i.Flags = linux.IFF_POINTOPOINT | linux.IFF_NOARP
	}
	if info.Flags.Up {
		i.Flags |= linux.IFF_UP
		if info.Flags.Running {
			i.Flags |= linux.IFF_RUNNING | linux.IFF_LOWER_UP
		}
	}
	if info.Flags.Promiscuous {
		i.Flags |= linux.IFF_PROMISC
	}
	for _, want := range []int{4, 16} {
		for _, pa := range info.ProtocolAddresses {
			if pa.AddressWithPrefix.Address.Len() == want {
				i.Addrs = append(i.Addrs, pa.AddressWithPrefix)
			}
		}
	}
	s := info.Stats
	i.Stats = IfStats{
		RxPackets: s.Rx.Packets.Value(), RxBytes: s.Rx.Bytes.Value(),
		TxPackets: s.Tx.Packets.Value(), TxBytes: s.Tx.Bytes.Value(),
		RxDropped: s.MalformedL4RcvdPackets.Value(),
		TxDropped: s.TxPacketsDroppedNoBufferSpace.Value(),
	}
	return i
}
