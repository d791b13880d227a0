// Command threads is a static Go program (CGO_ENABLED=0) that uses the Go
// runtime the way real Go servers do: goroutines on several threads,
// channels, mutexes, timers, a file, and os/signal registration. It prints
// only deterministic facts.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"
)

func main() {
	runtime.GOMAXPROCS(4)
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for i := 1; i <= 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := 0
			for j := 0; j < 20000; j++ {
				s += j % i
			}
			mu.Lock()
			total += s
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	fmt.Println("total:", total)

	// A pipeline of goroutines over channels.
	in := make(chan int)
	out := in
	for i := 0; i < 10; i++ {
		next := make(chan int)
		go func(in <-chan int, out chan<- int) {
			for v := range in {
				out <- v * 2
			}
			close(out)
		}(out, next)
		out = next
	}
	go func() {
		for i := 1; i <= 3; i++ {
			in <- i
		}
		close(in)
	}()
	var got []int
	for v := range out {
		got = append(got, v)
	}
	fmt.Println("pipeline:", got)

	// Timers started together fire in deadline order.
	t30, t10, t20 := time.After(30*time.Millisecond), time.After(10*time.Millisecond), time.After(20*time.Millisecond)
	var order []string
	for len(order) < 3 {
		select {
		case <-t10:
			order = append(order, "10")
		case <-t20:
			order = append(order, "20")
		case <-t30:
			order = append(order, "30")
		}
	}
	fmt.Println("timers:", order)

	// Threads: lock goroutines to threads and count distinct thread IDs.
	tids := map[int]bool{}
	var tmu sync.Mutex
	var lwg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 3; i++ {
		lwg.Add(1)
		go func() {
			defer lwg.Done()
			runtime.LockOSThread()
			<-start
			tmu.Lock()
			tids[syscall.Gettid()] = true
			tmu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}()
	}
	time.Sleep(5 * time.Millisecond)
	close(start)
	lwg.Wait()
	fmt.Println("distinct threads:", len(tids) == 3)

	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	signal.Stop(c)
	fmt.Println("signal.Notify registered")

	b, err := os.ReadFile("data/hello.txt")
	fmt.Printf("read file: %q %v\n", b, err)
	ents, _ := os.ReadDir("data/dir")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	fmt.Println("dir:", names)
	if _, err := os.Open("data/nope"); err != nil {
		fmt.Println("open missing:", err)
	}
	fmt.Println("pid positive:", os.Getpid() > 0)
	os.Exit(5)
}
