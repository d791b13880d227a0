// Command netinfo asks about the network the way Go programs do:
// net.Interfaces, Interface.Addrs, net.InterfaceAddrs, InterfaceByName
// and InterfaceByIndex (NETLINK_ROUTE dumps through syscall.NetlinkRIB),
// and /proc/net/tcp while it listens. It prints what it finds of lo, which
// every system has with the same addresses, and the names of the other
// interfaces; it is not a differential test (the host's interfaces are
// not the guest's), qemu.TestNetInfo checks its transcript in oyako.
//
// With the argument "listen" it listens on TCP 127.0.0.1:8081 and UDP
// 127.0.0.1:5353 until killed, for netstat to see.
package main

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "listen" {
		l, err := net.Listen("tcp4", "127.0.0.1:8081")
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		defer l.Close()
		u, err := net.ListenPacket("udp4", "127.0.0.1:5353")
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		defer u.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		buf := make([]byte, 1500)
		for {
			if _, _, err := u.ReadFrom(buf); err != nil {
				return
			}
		}
	}
	ifs, err := net.Interfaces()
	if err != nil {
		fmt.Println("Interfaces:", err)
		os.Exit(1)
	}
	for _, ifi := range ifs {
		if ifi.Name != "lo" {
			fmt.Printf("other interface %s index>1 %v\n", ifi.Name, ifi.Index > 1)
			continue
		}
		fmt.Printf("lo index=%d mtu=%d flags=%v hw=%q\n", ifi.Index, ifi.MTU, ifi.Flags, ifi.HardwareAddr.String())
		addrs, err := ifi.Addrs()
		fmt.Println("lo addrs:", addrs, err)
	}
	all, err := net.InterfaceAddrs()
	var s []string
	for _, a := range all {
		s = append(s, a.String())
	}
	fmt.Println("InterfaceAddrs has 127.0.0.1/8:", slices.Contains(s, "127.0.0.1/8"), "::1/128:", slices.Contains(s, "::1/128"), err)
	lo, err := net.InterfaceByName("lo")
	if err == nil {
		fmt.Println("InterfaceByName(lo).Index:", lo.Index)
	} else {
		fmt.Println("InterfaceByName(lo):", err)
	}
	one, err := net.InterfaceByIndex(1)
	if err == nil {
		fmt.Println("InterfaceByIndex(1).Name:", one.Name)
	} else {
		fmt.Println("InterfaceByIndex(1):", err)
	}
	_, err = net.InterfaceByName("nosuch0")
	fmt.Println("InterfaceByName(nosuch0):", err)

	// A listener shows in /proc/net/tcp, in LISTEN (0A), with its
	// socket's inode.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Println("Listen:", err)
		os.Exit(1)
	}
	port := l.Addr().(*net.TCPAddr).Port
	ino := inode(l)
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		fmt.Println("/proc/net/tcp:", err)
		os.Exit(1)
	}
	want := fmt.Sprintf("0100007F:%04X 00000000:0000 0A", port)
	found := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, want) {
			f := strings.Fields(line)
			found = len(f) >= 10 && f[9] == fmt.Sprint(ino)
		}
	}
	fmt.Println("listener in /proc/net/tcp with its inode:", found)
	l.Close()
}

// inode is the inode number of a listener's socket.
func inode(l net.Listener) uint64 {
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		return 0
	}
	defer f.Close()
	var st syscall.Stat_t
	if syscall.Fstat(int(f.Fd()), &st) != nil {
		return 0
	}
	return st.Ino
}
