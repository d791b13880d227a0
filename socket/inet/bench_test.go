package inet

import (
	"testing"

	"oyako/socket"
)

// BenchmarkTCPPingPong is one byte there and back through a loopback
// TCP connection, a goroutine on each end: netstack's and this
// package's share of tcp-pingpong-1B in make bench. Each round trip is
// four segments (netstack acknowledges every batch it processes at
// once, where Linux's delayed ACK rides on the answer: two).
func BenchmarkTCPPingPong(b *testing.B) {
	_, cf, sf := tcpPair(b)
	cs, ss := cf.Ops().(*Sock), sf.Ops().(*Sock)
	c := &ctx{}
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 1)
		var out socket.RecvMsg
		for {
			if n, err := ss.Recv(c, sf, buf, 0, &out); n != 1 || err != nil {
				close(done)
				return
			}
			ss.Write(c, sf, buf, 0)
		}
	}()
	buf := make([]byte, 1)
	var out socket.RecvMsg
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cs.Write(c, cf, buf, 0)
		if n, err := cs.Recv(c, cf, buf, 0, &out); n != 1 || err != nil {
			b.Fatal(n, err)
		}
	}
	b.StopTimer()
	cs.Shutdown(socket.SHUT_RDWR)
	<-done
}
