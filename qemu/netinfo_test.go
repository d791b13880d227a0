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
