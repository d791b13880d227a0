package qemu

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"oyako/boot/cmdline"
	"oyako/fs/cpio"
	"oyako/qemu/dynlib"
)

// BuildInitramfs packs a newc cpio archive: the files of rootfs (if not
// empty), /etc/hosts and /etc/resolv.conf unless rootfs has them
// (NetFiles), then program as /init (if not empty). A dynamically linked
// program gets what it needs from the host (Initramfs.Build).
func BuildInitramfs(program, rootfs string) ([]byte, error) {
	return Initramfs{Program: program, Rootfs: rootfs}.Build()
}

// Initramfs says what an image holds: Program as /init (if not empty),
// the files of the directory Rootfs (if not empty) and, from the host
// (package dynlib), what the program needs if it is dynamically linked —
// its interpreter and libraries at their host paths, with the symlinks on
// the way, and the files glibc reads at start-up (dynlib.StartupFiles) —
// and the libraries Libs and the files or directories Add. Rootfs's files
// win over the host's of the same path. A static program without Libs or
// Add gets the image it always had.
type Initramfs struct {
	Program, Rootfs string
	// Libs are host libraries the program opens itself (dlopen): each
	// is added at its absolute host path and, as a symlink, in /usr/lib
	// (a directory ld.so searches by default), with the libraries it
	// needs.
	Libs []string
	// Add are host files or directories added at their absolute host
	// paths, with the libraries their ELF files need.
	Add []string
}

// Build packs the image as a newc cpio archive.
func (x Initramfs) Build() ([]byte, error) {
	program, rootfs := x.Program, x.Rootfs
	var buf bytes.Buffer
	w := cpio.NewWriter(&buf)
	if rootfs != "" {
		err := filepath.WalkDir(rootfs, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(rootfs, path)
			if err != nil || rel == "." {
				return err
			}
			info, err := os.Lstat(path)
			if err != nil {
				return err
			}
			h := cpio.Header{Name: filepath.ToSlash(rel), Mode: uint32(info.Mode().Perm()), MTime: uint32(info.ModTime().Unix())}
			var body []byte
			switch {
			case info.IsDir():
				h.Mode |= cpio.ModeDir
			case info.Mode()&os.ModeSymlink != 0:
				h.Mode |= cpio.ModeSymlink
				t, err := os.Readlink(path)
				if err != nil {
					return err
				}
				body = []byte(t)
			case info.Mode().IsRegular():
				h.Mode |= cpio.ModeRegular
				if body, err = os.ReadFile(path); err != nil {
					return err
				}
			default:
				return nil // devices, FIFOs, sockets: the kernel makes its own
			}
			return w.WriteFile(h, body)
		})
		if err != nil {
			return nil, fmt.Errorf("packing %s: %w", rootfs, err)
		}
	}
	has := func(string) bool { return false }
	if program != "" || len(x.Libs) > 0 || len(x.Add) > 0 {
		im := dynlib.NewImage(dynlib.Host{})
		if rootfs != "" {
			if err := im.HaveTree(rootfs); err != nil {
				return nil, err
			}
		}
		if program != "" {
			im.Have("/init", false)
		}
		req := dynlib.Request{Program: program, As: "/init", Libs: x.Libs, Trees: x.Add}
		if _, err := dynlib.Gather(im, req); err != nil {
			return nil, err
		}
		if err := im.Write(w); err != nil {
			return nil, err
		}
		has = func(name string) bool { return im.Has("/" + name) }
	}
	if err := writeNetFiles(w, rootfs, has); err != nil {
		return nil, err
	}
	if program != "" {
		data, err := os.ReadFile(program)
		if err != nil {
			return nil, err
		}
		if err := w.WriteFile(cpio.Header{Name: "init", Mode: cpio.ModeRegular | 0o755}, data); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// NetFiles are the name-resolution files every image has, so that Go and
// glibc resolve localhost (through /etc/hosts, as Debian writes it) and
// other names through QEMU's user network's DNS server, 10.0.2.3.
var NetFiles = map[string]string{
	"etc/hosts":       "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
	"etc/resolv.conf": "nameserver 10.0.2.3\n",
}

// writeNetFiles adds NetFiles to an image holding rootfs (or nothing)
// and the paths for which added reports true: the files neither has, and
// the directory etc if both lack it.
func writeNetFiles(w *cpio.Writer, rootfs string, added func(string) bool) error {
	has := func(name string) bool {
		if added(name) {
			return true
		}
		if rootfs == "" {
			return false
		}
		_, err := os.Lstat(filepath.Join(rootfs, name))
		return err == nil
	}
	if !has("etc") {
		if err := w.WriteFile(cpio.Header{Name: "etc", Mode: cpio.ModeDir | 0o755}, nil); err != nil {
			return err
		}
	}
	for _, name := range []string{"etc/hosts", "etc/resolv.conf"} {
		if has(name) {
			continue
		}
		if err := w.WriteFile(cpio.Header{Name: name, Mode: cpio.ModeRegular | 0o644}, []byte(NetFiles[name])); err != nil {
			return err
		}
	}
	return nil
}

// TempInitramfs writes an initramfs image to a temporary file for QEMU's
// -initrd and returns its path; the caller removes it.
func TempInitramfs(image []byte) (string, error) {
	f, err := os.CreateTemp("", "oyako-initramfs-*.cpio")
	if err != nil {
		return "", err
	}
	_, err = f.Write(image)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// InitCmdline returns the kernel command line that runs program (packed
// as /init by BuildInitramfs) with args: the kernel options in opts, init's
// argv[0] (the program's base name, as a shell passes it; busybox picks
// its applet by it), and after "--" the arguments, quoted the way the
// kernel splits them (boot/cmdline). A command line cannot carry a double
// quote or a control character; when an argument holds one, every
// argument goes in base64 and the option args64 tells the kernel so.
func InitCmdline(opts []string, program string, args []string) (string, error) {
	words := append([]string(nil), opts...)
	words = append(words, "argv0="+filepath.Base(program))
	for _, a := range args {
		if _, ok := cmdline.Quote(a); !ok {
			words = append(words, "args64")
			enc := make([]string, len(args))
			for i, a := range args {
				enc[i] = base64.RawURLEncoding.EncodeToString([]byte(a))
			}
			args = enc
			break
		}
	}
	words = append(words, "--")
	words = append(words, args...)
	for i, w := range words {
		q, ok := cmdline.Quote(w)
		if !ok {
			return "", fmt.Errorf("argument %q cannot be passed on the kernel command line (it holds a double quote or a control character)", w)
		}
		words[i] = q
	}
	return strings.Join(words, " "), nil
}

// CRLFWriter undoes the console's ONLCR output processing: "\r\n" becomes
// "\n". Because ONLCR only ever turns "\n" into "\r\n", this recovers the
// bytes the program wrote exactly.
type CRLFWriter struct {
	W  io.Writer
	cr bool // a '\r' ended the previous write
}

func (c *CRLFWriter) Write(p []byte) (int, error) {
	var out []byte
	i := 0
	if c.cr {
		if len(p) > 0 && p[0] == '\n' {
			out = append(out, '\n')
			i = 1
		} else {
			out = append(out, '\r')
		}
		c.cr = false
	}
	for ; i < len(p); i++ {
		switch {
		case p[i] == '\r' && i+1 < len(p) && p[i+1] == '\n':
			out = append(out, '\n')
			i++
		case p[i] == '\r' && i+1 == len(p):
			c.cr = true
		default:
			out = append(out, p[i])
		}
	}
	_, err := c.W.Write(out)
	return len(p), err
}

// Flush writes a pending '\r'.
func (c *CRLFWriter) Flush() error {
	if c.cr {
		c.cr = false
		_, err := c.W.Write([]byte{'\r'})
		return err
	}
	return nil
}

// EOFReader turns the end of r into the console's end-of-file character
// (^D), which the kernel's line discipline reads as end of file: QEMU's
// serial port has no way to signal the end of its input. Like the end of
// a pipe, it stays: ^D is sent again every EOFRepeat for as long as the
// kernel runs, so that a program that reads after the first end of file
// (a shell that switched the terminal to raw mode, a second reader, a
// line left without its newline) sees one too.
type EOFReader struct {
	R    io.Reader
	done bool
}

// EOFRepeat is how often EOFReader repeats ^D once its input ended.
var EOFRepeat = 100 * time.Millisecond

func (e *EOFReader) Read(p []byte) (int, error) {
	if e.done {
		// Keep QEMU's stdin open (it would otherwise see EOF and stop
		// reading); the kernel exits when the program does.
		time.Sleep(EOFRepeat)
		p[0] = 0x04
		return 1, nil
	}
	n, err := e.R.Read(p)
	if err == io.EOF {
		e.done = true
		if n < len(p) {
			p[n] = 0x04
			return n + 1, nil
		}
		return n, nil
	}
	return n, err
}

// SideReports returns the kernel's reports on the side channel other than
// its exit status (user faults), without their prefix.
func SideReports(side []byte) []string {
	var out []string
	for _, l := range strings.Split(string(side), "\n") {
		if r, ok := strings.CutPrefix(l, "oyako-fault "); ok {
			out = append(out, r)
		}
	}
	return out
}

// SyscallStat is what a run's system call counters (kernel option
// sysstats) say about one call: how often it was made and which errnos
// it returned.
type SyscallStat struct {
	Calls  uint64
	Errnos map[string]bool
}

// SyscallStats parses the "oyako-sys NAME CALLS [ERRNO,...]" lines of the
// side channel, keyed by the call's name ("(above-table)" for numbers
// beyond the table).
func SyscallStats(side []byte) map[string]SyscallStat { return stats(side, "oyako-sys ") }

// ServiceStats parses the "oyako-svc NAME CALLS" lines: the system calls
// the kernel's own Go runtime made.
func ServiceStats(side []byte) map[string]SyscallStat { return stats(side, "oyako-svc ") }

func stats(side []byte, prefix string) map[string]SyscallStat {
	out := map[string]SyscallStat{}
	for _, l := range strings.Split(string(side), "\n") {
		r, ok := strings.CutPrefix(l, prefix)
		if !ok {
			continue
		}
		f := strings.Fields(r)
		if len(f) < 2 {
			continue
		}
		var st SyscallStat
		if _, err := fmt.Sscan(f[1], &st.Calls); err != nil {
			continue
		}
		st.Errnos = map[string]bool{}
		if len(f) > 2 {
			for _, e := range strings.Split(f[2], ",") {
				st.Errnos[e] = true
			}
		}
		out[f[0]] = st
	}
	return out
}
