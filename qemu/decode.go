package qemu

import (
	"bufio"
	"bytes"
	"debug/elf"
	"debug/gosym"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// DecodeCrash decodes, on the host, kernel crash reports that the kernel
// could not finish itself: when a fault happens with no Go context (in an
// interrupt handler or early boot) the kernel prints RIP and the code
// bytes but cannot disassemble or symbolize them (that needs a Go heap).
// Like Linux's scripts/decode_stacktrace.sh, this reads the kernel ELF's
// symbols and line table and disassembles with x86asm. It returns the
// lines to print, or nothing if every report was complete.
func DecodeCrash(serial []byte, kernelELF string) []string {
	var rip uint64
	var code []byte
	var out []string
	complete := false
	flush := func() {
		if rip != 0 && !complete {
			out = append(out, decodeOne(rip, code, kernelELF)...)
		}
		rip, code, complete = 0, nil, false
	}
	sc := bufio.NewScanner(bytes.NewReader(serial))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "oyako: kernel crash:"):
			flush()
		case strings.HasPrefix(line, "oyako: RIP: "):
			f := strings.Fields(line)
			if len(f) >= 3 {
				if _, a, ok := strings.Cut(f[2], ":"); ok {
					rip, _ = strconv.ParseUint(a, 16, 64)
				}
			}
		case strings.HasPrefix(line, "oyako: Code:"):
			b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimPrefix(line, "oyako: Code:"), " ", ""))
			if err == nil {
				code = b
			}
		case strings.HasPrefix(line, "oyako: faulting instruction:"):
			complete = true
		}
	}
	flush()
	return out
}

func decodeOne(rip uint64, code []byte, kernelELF string) []string {
	const p = "oyako (decoded on the host): "
	var out []string
	if len(code) > 0 {
		if inst, err := x86asm.Decode(code, 64); err == nil {
			out = append(out, fmt.Sprintf("%sfaulting instruction: %s    (Go: %s; %d bytes)", p, x86asm.IntelSyntax(inst, rip, nil), x86asm.GoSyntax(inst, rip, nil), inst.Len))
		} else {
			out = append(out, p+"undecodable instruction: "+err.Error())
		}
	}
	file, line, fn, err := Symbolize(kernelELF, rip)
	if err != nil {
		out = append(out, p+"cannot symbolize: "+err.Error())
	} else {
		out = append(out, fmt.Sprintf("%sin Go function %s (%s:%d)", p, fn, file, line))
	}
	return out
}

// Symbolize returns the source position and function name "name+0xoff"
// of pc in the kernel ELF, from its Go line table.
func Symbolize(kernelELF string, pc uint64) (file string, line int, fn string, err error) {
	f, err := elf.Open(kernelELF)
	if err != nil {
		return "", 0, "", err
	}
	defer f.Close()
	text, pcln := f.Section(".text"), f.Section(".gopclntab")
	if text == nil || pcln == nil {
		return "", 0, "", fmt.Errorf("%s has no .text or .gopclntab", kernelELF)
	}
	data, err := pcln.Data()
	if err != nil {
		return "", 0, "", err
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return "", 0, "", err
	}
	file, line, g := tab.PCToLine(pc)
	if g == nil {
		return "", 0, "", fmt.Errorf("no Go function at %#x", pc)
	}
	return file, line, fmt.Sprintf("%s+%#x", g.Name, pc-g.Entry), nil
}
