package inet

import (
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
)

// TestAddInterfaceBeforeStack: an interface added before the stack is
// made waits, and is there, with its address and routes, once it is.
func TestAddInterfaceBeforeStack(t *testing.T) {
	nicMu.Lock()
	early := made
	nicMu.Unlock()
	if early {
		t.Skip("the stack was made by an earlier test")
	}
	link := channel.New(16, 1500, "\x52\x54\x00\x12\x34\x56")
	addr := tcpip.AddrFrom4([4]byte{10, 0, 2, 15})
	id, err := AddInterface(Interface{Name: "eth0", Link: link, Addr: addr, PrefixLen: 24, Gateway: tcpip.AddrFrom4([4]byte{10, 0, 2, 2})})
	if err != nil || id != LoopbackNIC+1 {
		t.Fatalf("AddInterface = %d, %v", id, err)
	}
	if link.IsAttached() {
		t.Fatal("the link was attached before the stack was made")
	}
	s := Stack()
	if !link.IsAttached() || s.FindNICNameFromID(id) != "eth0" {
		t.Fatalf("after Stack: attached %v, NIC %d is %q", link.IsAttached(), id, s.FindNICNameFromID(id))
	}
	if got, err := s.GetMainNICAddress(id, 0x0800); err != nil || got.Address != addr || got.PrefixLen != 24 {
		t.Errorf("eth0's address: %v, %v", got, err)
	}
	routes := s.GetRouteTable()
	var gw bool
	for _, r := range routes {
		gw = gw || r.NIC == id && r.Destination.Prefix() == 0 && r.Gateway == tcpip.AddrFrom4([4]byte{10, 0, 2, 2})
	}
	if !gw {
		t.Errorf("no default route through 10.0.2.2: %v", routes)
	}
	// Later interfaces go straight in.
	link2 := channel.New(16, 1500, "\x52\x54\x00\x12\x34\x57")
	id2, err := AddInterface(Interface{Name: "eth1", Link: link2})
	if err != nil || id2 != id+1 || !link2.IsAttached() {
		t.Fatalf("AddInterface after Stack = %d, %v (attached %v)", id2, err, link2.IsAttached())
	}
}
