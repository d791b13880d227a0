// Command unixnet uses package net with AF_UNIX sockets the way Go
// servers do, so that the runtime's network poller (epoll, edge-triggered,
// non-blocking sockets) runs over them: an echo server on a "unix"
// listener with 100 client goroutines, a "unixpacket" server whose
// messages keep their boundaries, a "unixgram" server answering 100
// bound clients, read deadlines, descriptors passed with UnixRights,
// and the errors Dial returns. It prints only deterministic facts: counts,
// addresses it chose and error texts.
//
// Paths are relative to the working directory, whose tmp/ is writable
// (the rootfs on both sides).
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const clients = 100

// payload is message m of client c: bytes that differ between clients,
// messages and offsets.
func payload(c, m, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(c*31 + m*7 + i*13)
	}
	return b
}

// fanOut runs client(id) for each of the clients, all at once, each in a
// goroutine of its own, and counts those that succeed.
func fanOut(client func(id int) bool) int64 {
	var ok atomic.Int64
	var wg sync.WaitGroup
	for id := 0; id < clients; id++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if client(id) {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	return ok.Load()
}

func main() {
	stream()
	packet()
	gram()
	deadlines()
	rights()
	dialErrors()
}

// stream: a "unix" listener, one goroutine per connection copying what
// it reads back, and 100 clients at once sending messages of several
// sizes (one larger than a socket's buffer) and checking the echo.
func stream() {
	fmt.Println("-- unix (SOCK_STREAM)")
	ln, err := net.Listen("unix", "tmp/go-stream")
	if err != nil {
		fmt.Println("Listen:", err)
		return
	}
	fmt.Println("listener address:", ln.Addr().Network(), ln.Addr())
	var served, echoed atomic.Int64
	var remotes sync.Map // the remote addresses accepted connections report
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for {
			c, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					fmt.Println("Accept:", err)
				}
				break
			}
			remotes.Store(fmt.Sprintf("%v", c.RemoteAddr()), true)
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := io.Copy(c, c)
				if err != nil {
					fmt.Println("echo:", err)
				}
				echoed.Add(n)
				served.Add(1)
				c.Close()
			}()
		}
		wg.Wait()
	}()

	sizes := []int{16, 1000, 3, 200000, 1}
	var first sync.Once
	ok := fanOut(func(id int) bool {
		c, err := net.Dial("unix", "tmp/go-stream")
		if err != nil {
			fmt.Println("Dial:", err)
			return false
		}
		defer c.Close()
		first.Do(func() {
			fmt.Printf("client addresses: local %q remote %q\n", c.LocalAddr().String(), c.RemoteAddr().String())
		})
		for m, n := range sizes {
			out := payload(id, m, n)
			// Write and read at once: the echo of a large message
			// comes back while it is still being written.
			errc := make(chan error, 1)
			go func() {
				_, err := c.Write(out)
				errc <- err
			}()
			in := make([]byte, n)
			if _, err := io.ReadFull(c, in); err != nil {
				fmt.Println("ReadFull:", err)
				return false
			}
			if err := <-errc; err != nil {
				fmt.Println("Write:", err)
				return false
			}
			if !bytes.Equal(in, out) {
				fmt.Println("echo differs")
				return false
			}
		}
		// Half-close: the server sees EOF, closes, and so do we.
		if err := c.(*net.UnixConn).CloseWrite(); err != nil {
			fmt.Println("CloseWrite:", err)
			return false
		}
		if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			fmt.Println("after CloseWrite:", n, err)
			return false
		}
		return true
	})
	ln.Close()
	<-done
	per := 0
	for _, n := range sizes {
		per += n
	}
	fmt.Println("clients that checked every byte:", ok)
	fmt.Println("connections served:", served.Load())
	remotes.Range(func(k, _ any) bool {
		fmt.Printf("an accepted connection's remote address: %q\n", k)
		return true
	})
	fmt.Printf("bytes echoed: %d (%d per client)\n", echoed.Load(), per)
	// UnixListener.Close removes the socket file it made.
	_, err = os.Stat("tmp/go-stream")
	fmt.Println("socket file after Close:", errors.Is(err, os.ErrNotExist))
}

// packet: a "unixpacket" (SOCK_SEQPACKET) server: every Read returns one
// message, whatever the buffer's size.
func packet() {
	fmt.Println("-- unixpacket (SOCK_SEQPACKET)")
	ln, err := net.Listen("unixpacket", "tmp/go-packet")
	if err != nil {
		fmt.Println("Listen:", err)
		return
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil || n == 0 {
						return
					}
					// Answer with the message's length and itself.
					if _, err := c.Write([]byte(fmt.Sprintf("%d:%s", n, buf[:n]))); err != nil {
						return
					}
				}
			}()
		}
	}()
	ok := fanOut(func(id int) bool {
		c, err := net.Dial("unixpacket", "tmp/go-packet")
		if err != nil {
			fmt.Println("Dial:", err)
			return false
		}
		defer c.Close()
		// Three messages written before any is read: three reads.
		msgs := []string{fmt.Sprintf("client %d", id), "b", "the third"}
		for _, m := range msgs {
			if _, err := c.Write([]byte(m)); err != nil {
				fmt.Println("Write:", err)
				return false
			}
		}
		buf := make([]byte, 4096)
		for _, m := range msgs {
			n, err := c.Read(buf)
			if err != nil || string(buf[:n]) != fmt.Sprintf("%d:%s", len(m), m) {
				fmt.Printf("Read: %q %v\n", buf[:n], err)
				return false
			}
		}
		return true
	})
	ln.Close()
	fmt.Println("clients whose messages kept their boundaries:", ok)
}

// gram: a "unixgram" server answering each datagram to its sender's
// address; the clients are bound so that they can be answered.
func gram() {
	fmt.Println("-- unixgram (SOCK_DGRAM)")
	srv, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "tmp/go-gram", Net: "unixgram"})
	if err != nil {
		fmt.Println("ListenUnixgram:", err)
		return
	}
	var anonymous atomic.Int64
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := srv.ReadFromUnix(buf)
			if err != nil {
				return
			}
			if from == nil {
				anonymous.Add(1)
				continue
			}
			srv.WriteToUnix(append([]byte("re: "), buf[:n]...), from)
		}
	}()
	ok := fanOut(func(id int) bool {
		laddr := &net.UnixAddr{Name: fmt.Sprintf("tmp/go-gram-%d", id), Net: "unixgram"}
		raddr := &net.UnixAddr{Name: "tmp/go-gram", Net: "unixgram"}
		c, err := net.DialUnix("unixgram", laddr, raddr)
		if err != nil {
			fmt.Println("DialUnix:", err)
			return false
		}
		defer os.Remove(laddr.Name)
		defer c.Close()
		msg := fmt.Sprintf("hello from %d", id)
		if _, err := c.Write([]byte(msg)); err != nil {
			fmt.Println("Write:", err)
			return false
		}
		buf := make([]byte, 4096)
		n, from, err := c.ReadFromUnix(buf)
		if err != nil || string(buf[:n]) != "re: "+msg || from.Name != "tmp/go-gram" {
			fmt.Printf("ReadFromUnix: %q %v %v\n", buf[:n], from, err)
			return false
		}
		return true
	})
	fmt.Println("clients answered:", ok)
	// An unbound sender has no address: the server cannot answer it.
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: "tmp/go-gram", Net: "unixgram"})
	if err == nil {
		fmt.Printf("unbound client local address: %v\n", c.LocalAddr())
		c.Write([]byte("anonymous"))
		for i := 0; i < 500 && anonymous.Load() == 0; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		c.Close()
	}
	fmt.Println("datagrams without a sender address:", anonymous.Load())
	srv.Close()
	os.Remove("tmp/go-gram")
}

// deadlines: a read deadline on a socket nobody writes to ends the read
// with os.ErrDeadlineExceeded, through the poller's timers.
func deadlines() {
	fmt.Println("-- deadlines")
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		fmt.Println("Socketpair:", err)
		return
	}
	a := fileConn(fds[0])
	b := fileConn(fds[1])
	defer a.Close()
	defer b.Close()
	a.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	_, err = a.Read(make([]byte, 1))
	fmt.Println("read past its deadline:", errors.Is(err, os.ErrDeadlineExceeded), time.Since(start) >= 50*time.Millisecond)
	// A deadline in the future does not stop a read that data ends.
	a.SetReadDeadline(time.Now().Add(10 * time.Second))
	go func() {
		time.Sleep(20 * time.Millisecond)
		b.Write([]byte("late"))
	}()
	buf := make([]byte, 8)
	n, err := a.Read(buf)
	fmt.Printf("read before its deadline: %q %v\n", buf[:n], err)
}

// fileConn makes a net.Conn of a socket descriptor.
func fileConn(fd int) net.Conn {
	f := os.NewFile(uintptr(fd), "socket")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		fmt.Println("FileConn:", err)
		os.Exit(1)
	}
	return c
}

// rights: a pipe's write end passed with UnixRights over a "unix"
// socketpair; the receiver writes through it.
func rights() {
	fmt.Println("-- UnixRights")
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		fmt.Println("Socketpair:", err)
		return
	}
	a := fileConn(fds[0]).(*net.UnixConn)
	b := fileConn(fds[1]).(*net.UnixConn)
	defer a.Close()
	defer b.Close()
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Println("Pipe:", err)
		return
	}
	n, oobn, err := a.WriteMsgUnix([]byte("fd"), syscall.UnixRights(int(w.Fd())), nil)
	fmt.Println("WriteMsgUnix:", n, oobn, err)
	w.Close()
	buf := make([]byte, 16)
	oob := make([]byte, syscall.CmsgSpace(4))
	n, oobn, flags, _, err := b.ReadMsgUnix(buf, oob)
	fmt.Println("ReadMsgUnix:", n, oobn, flags, err)
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		fmt.Println("ParseSocketControlMessage:", len(msgs), err)
		return
	}
	got, err := syscall.ParseUnixRights(&msgs[0])
	fmt.Println("descriptors received:", len(got), err)
	if len(got) != 1 {
		return
	}
	pw := os.NewFile(uintptr(got[0]), "passed")
	pw.Write([]byte("through the passed pipe"))
	pw.Close()
	all, err := io.ReadAll(r)
	fmt.Printf("the pipe's reader: %q %v\n", all, err)
	r.Close()
}

// dialErrors: the errors a client meets, as net formats them.
func dialErrors() {
	fmt.Println("-- dial errors")
	_, err := net.Dial("unix", "tmp/go-none")
	fmt.Println(err)
	f, _ := os.Create("tmp/go-file")
	f.Close()
	_, err = net.Dial("unix", "tmp/go-file")
	fmt.Println(err)
	os.Remove("tmp/go-file")
	// A socket file left behind with nobody listening.
	ln, err := net.Listen("unix", "tmp/go-left")
	if err == nil {
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		ln.Close()
		_, err = net.Dial("unix", "tmp/go-left")
		fmt.Println(err)
		_, err = net.Listen("unix", "tmp/go-left")
		fmt.Println(err)
		os.Remove("tmp/go-left")
	}
	_, err = net.Dial("unixpacket", "tmp/go-none")
	fmt.Println(err)
	_, err = net.Dial("unix", "@oyako-go-none")
	fmt.Println(err)
}
