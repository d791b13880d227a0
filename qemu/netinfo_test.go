package qemu

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// netinfoScript asks about the network as people and tools do: busybox
// ifconfig, ip (NETLINK_ROUTE) and netstat (/proc/net) with a TCP and a
// UDP socket listening, the files of /proc/net and /sys/class/net, and
// user/go/netinfo (Go's net.Interfaces and InterfaceAddrs). It looks at
// lo only, which every system has alike, so that it holds whether or not
// the machine also has eth0.
const netinfoScript = `mount -t sysfs sysfs /sys
/netinfo listen &
L=$!
i=0
while [ $i -lt 200 ] && ! { grep -q 0100007F:1F91 /proc/net/tcp && grep -q 0100007F:14E9 /proc/net/udp; }; do
	sleep 0.1
	i=$((i+1))
done
echo "== ifconfig lo"
ifconfig lo
echo "== ip addr show lo"
ip addr show lo
echo "== ip link show lo"
ip link show lo
echo "== ip -4 route show table local"
ip -4 route show table local
echo "== netstat -tln"
netstat -tln
echo "== netstat -uln"
netstat -uln
echo "== /proc/net"
ls -1 /proc/net
grep '^ *lo:' /proc/net/dev
grep ' lo$' /proc/net/if_inet6
head -1 /proc/net/route
echo "== /sys/class/net/lo"
cd /sys/class/net/lo && for f in ifindex address mtu flags operstate type carrier; do echo "$f $(cat $f)"; done
cd /
echo "== go"
/netinfo
kill $L
echo "== end"
`

// TestNetInfo runs netinfoScript in oyako and checks the transcript
// against what Linux shows for the same loopback interface and sockets.
// The host's interfaces differ from the guest's, so this is not a
// differential test.
func TestNetInfo(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserGo(root, dir, "netinfo")
	if err != nil {
		t.Fatal(err)
	}
	rootfs := shellRootfs(t)
	b, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "netinfo"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(rootfs, "sys"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "netinfo.sh"), []byte(netinfoScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := RunOyako(context.Background(), kernelImage(t), Case{Program: busybox(t), Args: []string{"sh", "/netinfo.sh"}, Rootfs: rootfs}, 3*time.Minute)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.Output)
	}
	if d := Diff([]byte(netinfoWant), out.Output); d != "" || out.Status != 0 {
		t.Errorf("status %d; output differs:\n%s", out.Status, d)
	}
}

// netinfoWant is the transcript: busybox's output as it is for lo on
// Linux (the local routing table, netstat's columns), the /proc/net
// files oyako has.
const netinfoWant = `== ifconfig lo
lo        Link encap:Local Loopback  
          inet addr:127.0.0.1  Mask:255.0.0.0
          inet6 addr: ::1/128 Scope:Host
          UP LOOPBACK RUNNING  MTU:65536  Metric:1
          RX packets:0 errors:0 dropped:0 overruns:0 frame:0
          TX packets:0 errors:0 dropped:0 overruns:0 carrier:0
          collisions:0 txqueuelen:1000 
          RX bytes:0 (0.0 B)  TX bytes:0 (0.0 B)

== ip addr show lo
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host 
       valid_lft forever preferred_lft forever
== ip link show lo
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
== ip -4 route show table local
local 127.0.0.0/8 dev lo scope host  src 127.0.0.1 
local 127.0.0.1 dev lo scope host  src 127.0.0.1 
broadcast 127.255.255.255 dev lo scope link  src 127.0.0.1 
== netstat -tln
Active Internet connections (only servers)
Proto Recv-Q Send-Q Local Address           Foreign Address         State       
tcp        0      0 127.0.0.1:8081          0.0.0.0:*               LISTEN      
== netstat -uln
Active Internet connections (only servers)
Proto Recv-Q Send-Q Local Address           Foreign Address         State       
udp        0      0 127.0.0.1:5353          0.0.0.0:*                           
== /proc/net
arp
dev
if_inet6
raw
raw6
route
tcp
tcp6
udp
udp6
unix
    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
00000000000000000000000000000001 01 80 10 80       lo
Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT                                                       
== /sys/class/net/lo
ifindex 1
address 00:00:00:00:00:00
mtu 65536
flags 0x9
operstate unknown
type 772
carrier 1
== go
lo index=1 mtu=65536 flags=up|loopback|running hw=""
lo addrs: [127.0.0.1/8 ::1/128] <nil>
InterfaceAddrs has 127.0.0.1/8: true ::1/128: true <nil>
InterfaceByName(lo).Index: 1
InterfaceByIndex(1).Name: lo
InterfaceByName(nosuch0): route ip+net: no such network interface
listener in /proc/net/tcp with its inode: true
== end
`

// netinfoEth0Script looks at eth0 as QEMU's user network configures it
// (the default MAC, 10.0.2.15/24 by way of 10.0.2.2): the lines that do
// not count packets, which the network's own traffic changes.
const netinfoEth0Script = `mount -t sysfs sysfs /sys
echo "== ifconfig eth0"
ifconfig eth0 | head -4
echo "== ip addr show eth0"
ip addr show eth0
echo "== ip route"
ip route
echo "== ip -4 route show table local"
ip -4 route show table local
echo "== route -n"
route -n
echo "== /sys/class/net/eth0"
cd /sys/class/net/eth0 && for f in ifindex address broadcast mtu flags operstate type carrier; do echo "$f $(cat $f)"; done
cd /
echo "== end"
`

// TestNetInfoEth0 runs netinfoEth0Script with a network device, and
// checks what Linux would show for the same configuration.
func TestNetInfoEth0(t *testing.T) {
	rootfs := shellRootfs(t)
	if err := os.MkdirAll(filepath.Join(rootfs, "sys"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "eth0.sh"), []byte(netinfoEth0Script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := RunOyako(context.Background(), kernelImage(t), Case{Program: busybox(t), Args: []string{"sh", "/eth0.sh"}, Rootfs: rootfs, Net: &Net{}}, 3*time.Minute)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.Output)
	}
	if d := Diff([]byte(netinfoEth0Want), out.Output); d != "" || out.Status != 0 {
		t.Errorf("status %d; output differs:\n%s", out.Status, d)
	}
}

// netinfoEth0Want is the transcript, as Linux shows the same
// configuration (its link-local IPv6 address from the MAC).
const netinfoEth0Want = `== ifconfig eth0
eth0      Link encap:Ethernet  HWaddr 52:54:00:12:34:56  
          inet addr:10.0.2.15  Bcast:10.0.2.255  Mask:255.255.255.0
          inet6 addr: fe80::5054:ff:fe12:3456/64 Scope:Link
          UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1
== ip addr show eth0
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast qlen 1000
    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
    inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0
       valid_lft forever preferred_lft forever
    inet6 fe80::5054:ff:fe12:3456/64 scope link 
       valid_lft forever preferred_lft forever
== ip route
default via 10.0.2.2 dev eth0 
10.0.2.0/24 dev eth0 scope link  src 10.0.2.15 
== ip -4 route show table local
local 10.0.2.15 dev eth0 scope host  src 10.0.2.15 
broadcast 10.0.2.255 dev eth0 scope link  src 10.0.2.15 
local 127.0.0.0/8 dev lo scope host  src 127.0.0.1 
local 127.0.0.1 dev lo scope host  src 127.0.0.1 
broadcast 127.255.255.255 dev lo scope link  src 127.0.0.1 
== route -n
Kernel IP routing table
Destination     Gateway         Genmask         Flags Metric Ref    Use Iface
0.0.0.0         10.0.2.2        0.0.0.0         UG    0      0        0 eth0
10.0.2.0        0.0.0.0         255.255.255.0   U     0      0        0 eth0
== /sys/class/net/eth0
ifindex 2
address 52:54:00:12:34:56
broadcast ff:ff:ff:ff:ff:ff
mtu 1500
flags 0x1003
operstate up
type 1
carrier 1
== end
`
