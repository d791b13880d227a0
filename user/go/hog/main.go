// Command hog allocates and touches memory in 1 MiB blocks, keeping all of
// it, until the kernel stops it: the Go program of issue 8 that once
// crashed oyako's kernel by needing more memory than the guest has. On a
// kernel that bounds its memory it is killed (SIGKILL, the OOM killer) or
// its runtime reports that it is out of memory; the kernel goes on.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	limit := 1 << 30 // bytes; stops here if nothing stops it first
	if len(os.Args) > 1 {
		if n, err := strconv.Atoi(os.Args[1]); err == nil {
			limit = n << 20
		}
	}
	var keep [][]byte
	total := 0
	for total < limit {
		b := make([]byte, 1<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
		total += len(b)
	}
	fmt.Printf("hog: %d MiB allocated and not stopped\n", total>>20)
}
