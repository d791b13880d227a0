// Package netdev connects an Ethernet device driver to gVisor's netstack:
// Endpoint is a stack.LinkEndpoint that hands the frames the stack sends
// to the driver's transmit queue and delivers the frames the driver
// receives to the stack, one goroutine reading the receive queue.
//
// The link is Ethernet II (14-byte header, no VLAN tags) with address
// resolution (ARP, and NDP for IPv6) done by the stack; no checksum or
// segmentation offload. Frames not addressed to the device's MAC, the
// broadcast address or a multicast group are dropped, as a NIC without
// promiscuous mode would.
//
// The package is free of hardware: the driver is a Device (the kernel's
// is a *virtio.Net), so host tests run the endpoint over an in-memory
// wire.
package netdev

import (
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// Device is an Ethernet device's driver (virtio.Net's methods).
type Device interface {
	// Transmit sends count frames, fill(i, buf) writing frame i into
	// buf and returning its length (-1: too big for buf); with wait
	// it waits for room, else drops what does not fit. It returns
	// the number of frames handed to the device.
	Transmit(count int, wait bool, fill func(i int, buf []byte) int) (int, error)
	// Receive waits for frames and calls fn with each (valid during
	// the call only); false once stop is closed.
	Receive(stop <-chan struct{}, fn func(frame []byte)) bool
}

// Endpoint is a netstack link endpoint over a Device.
type Endpoint struct {
	dev Device
	mtu atomic.Uint32

	mu         sync.Mutex
	mac        tcpip.LinkAddress
	dispatcher stack.NetworkDispatcher
	stop       chan struct{} // closed to stop the receiving goroutine
	done       sync.WaitGroup
	onClose    func()

	// Dropped counts received frames dropped: too short, or for
	// another station.
	Dropped atomic.Uint64
}

var _ stack.LinkEndpoint = (*Endpoint)(nil)

// New returns an endpoint for dev, whose MAC address is mac and whose
// MTU (the largest IP packet) is mtu.
func New(dev Device, mac [6]byte, mtu int) *Endpoint {
	e := &Endpoint{dev: dev, mac: tcpip.LinkAddress(mac[:])}
	e.mtu.Store(uint32(mtu))
	return e
}

// MTU implements stack.LinkEndpoint.MTU.
func (e *Endpoint) MTU() uint32 { return e.mtu.Load() }

// SetMTU implements stack.LinkEndpoint.SetMTU.
func (e *Endpoint) SetMTU(mtu uint32) { e.mtu.Store(mtu) }

// MaxHeaderLength implements stack.LinkEndpoint.MaxHeaderLength: the
// Ethernet header.
func (*Endpoint) MaxHeaderLength() uint16 { return header.EthernetMinimumSize }

// LinkAddress implements stack.LinkEndpoint.LinkAddress.
func (e *Endpoint) LinkAddress() tcpip.LinkAddress {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mac
}

// SetLinkAddress implements stack.LinkEndpoint.SetLinkAddress. The device
// keeps receiving for its own address too: the driver does not program a
// MAC filter (QEMU's user network sends to the address it learnt).
func (e *Endpoint) SetLinkAddress(addr tcpip.LinkAddress) {
	e.mu.Lock()
	e.mac = addr
	e.mu.Unlock()
}

// Capabilities implements stack.LinkEndpoint.Capabilities: the stack
// resolves link addresses (ARP, NDP) and computes checksums itself.
func (*Endpoint) Capabilities() stack.LinkEndpointCapabilities {
	return stack.CapabilityResolutionRequired
}

// ARPHardwareType implements stack.LinkEndpoint.ARPHardwareType.
func (*Endpoint) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }

// Attach implements stack.LinkEndpoint.Attach: a dispatcher starts the
// receiving goroutine; nil (the NIC's removal) stops it.
func (e *Endpoint) Attach(d stack.NetworkDispatcher) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stop != nil {
		close(e.stop)
		e.stop = nil
	}
	e.dispatcher = d
	if d == nil {
		return
	}
	e.stop = make(chan struct{})
	e.done.Add(1)
	go e.receive(d, e.stop)
}

// IsAttached implements stack.LinkEndpoint.IsAttached.
func (e *Endpoint) IsAttached() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dispatcher != nil
}

// Wait implements stack.LinkEndpoint.Wait: it waits for the receiving
// goroutine to stop after Attach(nil).
func (e *Endpoint) Wait() { e.done.Wait() }

// AddHeader implements stack.LinkEndpoint.AddHeader.
func (e *Endpoint) AddHeader(pkt *stack.PacketBuffer) {
	src := pkt.EgressRoute.LocalLinkAddress
	if src == "" {
		src = e.LinkAddress()
	}
	eth := header.Ethernet(pkt.LinkHeader().Push(header.EthernetMinimumSize))
	eth.Encode(&header.EthernetFields{
		SrcAddr: src,
		DstAddr: pkt.EgressRoute.RemoteLinkAddress,
		Type:    pkt.NetworkProtocolNumber,
	})
}

// ParseHeader implements stack.LinkEndpoint.ParseHeader.
func (*Endpoint) ParseHeader(pkt *stack.PacketBuffer) bool {
	_, ok := parseHeader(pkt)
	return ok
}

func parseHeader(pkt *stack.PacketBuffer) (header.Ethernet, bool) {
	b, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	if !ok {
		return nil, false
	}
	eth := header.Ethernet(b)
	pkt.NetworkProtocolNumber = eth.Type()
	return eth, true
}

// Close implements stack.LinkEndpoint.Close.
func (e *Endpoint) Close() {
	e.mu.Lock()
	f := e.onClose
	e.mu.Unlock()
	if f != nil {
		f()
	}
}

// SetOnCloseAction implements stack.LinkEndpoint.SetOnCloseAction.
func (e *Endpoint) SetOnCloseAction(f func()) {
	e.mu.Lock()
	e.onClose = f
	e.mu.Unlock()
}

// WritePackets implements stack.LinkWriter.WritePackets: the packets (with
// their Ethernet headers, which the stack added with AddHeader) go to the
// device in one batch, waiting while its transmit queue is full. A packet
// too big for the device is not sent and ends the batch with
// ErrMessageTooLong.
func (e *Endpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	list := pkts.AsSlice()
	tooBig := -1
	sent, _ := e.dev.Transmit(len(list), true, func(i int, buf []byte) int {
		if tooBig >= 0 {
			return -1
		}
		pkt := list[i]
		if pkt.Size() > len(buf) {
			tooBig = i
			return -1
		}
		n := 0
		for _, s := range pkt.AsSlices() {
			n += copy(buf[n:], s)
		}
		return n
	})
	if tooBig >= 0 {
		return sent, &tcpip.ErrMessageTooLong{}
	}
	return sent, nil
}

// receive delivers the device's frames to d until stop is closed.
func (e *Endpoint) receive(d stack.NetworkDispatcher, stop chan struct{}) {
	defer e.done.Done()
	deliver := func(frame []byte) {
		if len(frame) < header.EthernetMinimumSize {
			e.Dropped.Add(1)
			return
		}
		dst := header.Ethernet(frame).DestinationAddress()
		// The group bit (the first octet's least significant bit)
		// marks broadcast and multicast destinations.
		if dst[0]&1 == 0 && dst != e.LinkAddress() {
			e.Dropped.Add(1)
			return
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
		if eth, ok := parseHeader(pkt); ok {
			d.DeliverNetworkPacket(eth.Type(), pkt)
		}
		pkt.DecRef()
	}
	for e.dev.Receive(stop, deliver) {
	}
}
