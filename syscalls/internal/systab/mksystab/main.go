// Command mksystab regenerates the Go code derived from syscall_64.tbl.
// Run it from the syscalls directory (go generate does).
package main

import (
	"log"
	"os"

	"oyako/syscalls/internal/systab"
)

func main() {
	data, err := os.ReadFile("syscall_64.tbl")
	if err != nil {
		log.Fatal(err)
	}
	es, err := systab.Parse(data)
	if err != nil {
		log.Fatal(err)
	}
	src, err := systab.GenerateSysno(es)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("sysno/zsysno.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
	files, err := systab.PackageSources(".")
	if err != nil {
		log.Fatal(err)
	}
	handlers, err := systab.FindHandlers(files)
	if err != nil {
		log.Fatal(err)
	}
	tab, err := systab.GenerateTable(es, handlers)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("ztable.go", tab, 0o644); err != nil {
		log.Fatal(err)
	}
}
