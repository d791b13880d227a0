package netdev

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// wire is one end of an Ethernet cable: what one device transmits, the
// other receives.
type wire struct {
	out, in chan []byte
	sent    atomic.Int64
}

func newWire() (*wire, *wire) {
	a, b := make(chan []byte, 64), make(chan []byte, 64)
	return &wire{out: a, in: b}, &wire{out: b, in: a}
}

const maxFrame = 1514

func (w *wire) Transmit(count int, wait bool, fill func(int, []byte) int) (int, error) {
	sent := 0
	for i := 0; i < count; i++ {
		buf := make([]byte, maxFrame)
		n := fill(i, buf)
		if n < 0 {
			continue
		}
		w.out <- buf[:n]
		w.sent.Add(1)
		sent++
	}
	return sent, nil
}

func (w *wire) Receive(stop <-chan struct{}, fn func([]byte)) bool {
	select {
	case f := <-w.in:
		fn(f)
		return true
	case <-stop:
		return false
	}
}

func newHost(t *testing.T, dev Device, mac [6]byte, addr tcpip.Address) (*stack.Stack, *Endpoint) {
	t.Helper()
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol},
	})
	ep := New(dev, mac, 1500)
	if err := s.CreateNIC(1, ep); err != nil {
		t.Fatal(err)
	}
	if err := s.AddProtocolAddress(1, tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: addr, PrefixLen: 24},
	}, stack.AddressProperties{}); err != nil {
		t.Fatal(err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: 1}})
	t.Cleanup(func() { s.Close(); s.Wait() })
	return s, ep
}

// TestTCPOverWire runs a TCP connection between two stacks joined by
// endpoints on a wire: ARP resolves the peer, then 1 MiB goes each way.
func TestTCPOverWire(t *testing.T) {
	wa, wb := newWire()
	addrA, addrB := tcpip.AddrFrom4([4]byte{10, 0, 2, 15}), tcpip.AddrFrom4([4]byte{10, 0, 2, 2})
	sa, epA := newHost(t, wa, [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}, addrA)
	sb, _ := newHost(t, wb, [6]byte{0x52, 0x55, 10, 0, 2, 2}, addrB)
	if epA.MTU() != 1500 || epA.LinkAddress() != "\x52\x54\x00\x12\x34\x56" || epA.Capabilities()&stack.CapabilityResolutionRequired == 0 {
		t.Fatalf("endpoint: MTU %d, MAC %x, capabilities %#x", epA.MTU(), epA.LinkAddress(), epA.Capabilities())
	}

	l, err := gonet.ListenTCP(sb, tcpip.FullAddress{NIC: 1, Addr: addrB, Port: 80}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c) // echo
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := gonet.DialContextTCP(ctx, sa, tcpip.FullAddress{NIC: 1, Addr: addrB, Port: 80}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		c.Write(payload)
		c.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("echo: got %d bytes, want %d", len(got), len(payload))
	}
	if wa.sent.Load() == 0 || epA.Dropped.Load() != 0 {
		t.Errorf("sent %d frames, dropped %d", wa.sent.Load(), epA.Dropped.Load())
	}
}

// TestFilter drops frames for other stations and runts, and keeps
// broadcasts.
func TestFilter(t *testing.T) {
	wa, wb := newWire()
	mac := [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}
	_, ep := newHost(t, wa, mac, tcpip.AddrFrom4([4]byte{10, 0, 2, 15}))
	other := make([]byte, 60)
	copy(other, []byte{0x52, 0x54, 0, 0, 0, 1})
	wb.out <- other
	wb.out <- make([]byte, 10)
	deadline := time.Now().Add(5 * time.Second)
	for ep.Dropped.Load() != 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if ep.Dropped.Load() != 2 {
		t.Fatalf("dropped %d frames, want 2", ep.Dropped.Load())
	}
	// An ARP request for 10.0.2.15, broadcast, gets a reply.
	req := make([]byte, header.EthernetMinimumSize+header.ARPSize)
	header.Ethernet(req).Encode(&header.EthernetFields{SrcAddr: "\x52\x55\x0a\x00\x02\x02", DstAddr: header.EthernetBroadcastAddress, Type: arp.ProtocolNumber})
	a := header.ARP(req[header.EthernetMinimumSize:])
	a.SetIPv4OverEthernet()
	a.SetOp(header.ARPRequest)
	copy(a.HardwareAddressSender(), "\x52\x55\x0a\x00\x02\x02")
	copy(a.ProtocolAddressSender(), []byte{10, 0, 2, 2})
	copy(a.ProtocolAddressTarget(), []byte{10, 0, 2, 15})
	wb.out <- req
	select {
	case f := <-wb.in:
		r := header.ARP(f[header.EthernetMinimumSize:])
		if header.Ethernet(f).Type() != arp.ProtocolNumber || r.Op() != header.ARPReply || !bytes.Equal(r.HardwareAddressSender(), mac[:]) {
			t.Fatalf("reply %x", f)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no ARP reply")
	}
}
