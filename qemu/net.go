package qemu

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Net is the guest's network: QEMU's user-mode network (slirp), in which
// the guest is 10.0.2.15/24, the host is reached as 10.0.2.2 and a DNS
// relay answers at 10.0.2.3, behind a virtio-net device on microvm's
// virtio-mmio (the kernel's eth0). Forwards make guest ports reachable
// from the host (QEMU's hostfwd), as docker run -p does.
//
// q35 gets a virtio-net-pci device (without its iPXE boot ROM), for
// which oyako has no driver yet: there the guest has only lo.
type Net struct {
	Forwards []Forward
}

// Forward forwards a host port to a guest port.
type Forward struct {
	UDP bool // UDP instead of TCP
	// HostAddr is the host address QEMU listens on ("" for every
	// address, as docker run -p).
	HostAddr  string
	HostPort  int
	GuestPort int
}

// ParseForward parses docker run -p's syntax: [HOSTADDR:]HOSTPORT:GUESTPORT
// with an optional /tcp or /udp; HOSTADDR is an IPv4 address (QEMU
// forwards nothing else).
func ParseForward(s string) (Forward, error) {
	var f Forward
	spec, proto, _ := strings.Cut(s, "/")
	switch proto {
	case "", "tcp":
	case "udp":
		f.UDP = true
	default:
		return f, fmt.Errorf("port forward %q: protocol %q, want tcp or udp", s, proto)
	}
	i := strings.LastIndex(spec, ":")
	if i < 0 {
		return f, fmt.Errorf("port forward %q: want HOSTPORT:GUESTPORT", s)
	}
	host, guest := spec[:i], spec[i+1:]
	if j := strings.LastIndex(host, ":"); j >= 0 {
		f.HostAddr = host[:j]
		host = host[j+1:]
		// QEMU's hostfwd takes IPv4 host addresses only (slirp_hostfwd).
		if ip := net.ParseIP(f.HostAddr); ip == nil || ip.To4() == nil {
			return f, fmt.Errorf("port forward %q: %q is not an IPv4 address", s, f.HostAddr)
		}
	}
	var err error
	if f.HostPort, err = port(host); err != nil {
		return f, fmt.Errorf("port forward %q: host port: %v", s, err)
	}
	if f.GuestPort, err = port(guest); err != nil {
		return f, fmt.Errorf("port forward %q: guest port: %v", s, err)
	}
	return f, nil
}

func port(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return p, nil
}

// hostfwd is QEMU's rule for f: [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport.
func (f Forward) hostfwd() string {
	proto := "tcp"
	if f.UDP {
		proto = "udp"
	}
	return fmt.Sprintf("hostfwd=%s:%s:%d-:%d", proto, f.HostAddr, f.HostPort, f.GuestPort)
}

// args are QEMU's arguments for the network on machine.
func (n *Net) args(machine string) []string {
	netdev := "user,id=n0"
	for _, f := range n.Forwards {
		netdev += "," + f.hostfwd()
	}
	if machine == "q35" {
		return []string{"-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,romfile="}
	}
	// The modern virtio-mmio interface (QEMU defaults to the legacy
	// one), as for the console (stdioWiring).
	return []string{"-netdev", netdev, "-global", "virtio-mmio.force-legacy=false", "-device", "virtio-net-device,netdev=n0"}
}
