package dynlib

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// A File is one file the image needs: the path the guest finds it at and
// the host file it is a copy of. Both are the same but for the libraries
// found through the program's $ORIGIN: the program runs as /init, so in
// the guest its $ORIGIN is "/".
type File struct {
	Path string // absolute, in the image
	Host string // absolute, in the host tree
}

// DefaultDirs are the directories glibc's ld.so searches last on Debian's
// x86-64 (its SYSTEM_DIRS, multiarch first), unless an object is linked
// with -z nodeflib.
var DefaultDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"}

// hwcapsDirs are the glibc-hwcaps subdirectories glibc 2.33 and later
// try, best first, in each directory it searches (elf/dl-hwcaps.c).
var hwcapsDirs = []string{"glibc-hwcaps/x86-64-v4", "glibc-hwcaps/x86-64-v3", "glibc-hwcaps/x86-64-v2"}

// CachePath is where glibc's ld.so reads its cache.
const CachePath = "/etc/ld.so.cache"

// MissingError is ld.so's "cannot open shared object file": no library
// called Name was found for Needer, the object whose DT_NEEDED names it.
type MissingError struct {
	Program, Needer, Name string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s: error while loading shared libraries: %s: cannot open shared object file: No such file or directory (needed by %s)", e.Program, e.Name, e.Needer)
}

// ErrStatic is returned by Resolve for a program without an interpreter.
var ErrStatic = errors.New("statically linked (no PT_INTERP)")

// object is a loaded ELF object as ld.so keeps it (struct link_map): what
// its dynamic section says and who loaded it.
type object struct {
	File
	soname         string
	needed         []string
	rpath, runpath []string // unexpanded, split at ':'
	nodeflib       bool     // DF_1_NODEFLIB
	loader         *object  // the object whose DT_NEEDED loaded it (l_loader)
	origin         File     // $ORIGIN in the image and on the host
}

// Resolver resolves programs' and libraries' dependencies on one host.
type Resolver struct {
	Host  Host
	cache *Cache
	read  bool // cache was read (it may be nil: no cache)
}

// Interp returns the ELF interpreter (PT_INTERP) of the host program at
// prog, or "" for a static program.
func (r *Resolver) Interp(prog string) (string, error) {
	f, err := r.open(prog)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return interp(f)
}

func interp(f *elf.File) (string, error) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", fmt.Errorf("reading PT_INTERP: %w", err)
			}
			return strings.TrimRight(string(b), "\x00"), nil
		}
	}
	return "", nil
}

// open opens an x86-64 ELF file of the host tree.
func (r *Resolver) open(p string) (*elf.File, error) {
	h, err := r.Host.Open(p)
	if err != nil {
		return nil, err
	}
	f, err := elf.NewFile(h)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		f.Close()
		return nil, fmt.Errorf("%s: not an x86-64 ELF file", p)
	}
	return f, nil
}

// load reads the dynamic section of the ELF file at file.Host.
func (r *Resolver) load(file File, loader *object) (*object, error) {
	f, err := r.open(file.Host)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	o := &object{File: file, loader: loader, origin: File{path.Dir(file.Path), path.Dir(file.Host)}}
	str := func(tag elf.DynTag) []string {
		s, _ := f.DynString(tag) // none: no dynamic section or no such tag
		return s
	}
	if s := str(elf.DT_SONAME); len(s) > 0 {
		o.soname = s[0]
	}
	o.needed = str(elf.DT_NEEDED)
	for _, s := range str(elf.DT_RUNPATH) {
		o.runpath = append(o.runpath, strings.Split(s, ":")...)
	}
	// DT_RPATH is ignored when DT_RUNPATH is present (ld.so(8)).
	if o.runpath == nil {
		for _, s := range str(elf.DT_RPATH) {
			o.rpath = append(o.rpath, strings.Split(s, ":")...)
		}
	}
	if v, _ := f.DynValue(elf.DT_FLAGS_1); len(v) > 0 && elf.DynFlag1(v[0])&elf.DF_1_NODEFLIB != 0 {
		o.nodeflib = true
	}
	return o, nil
}

// Resolve returns the files the host program at prog (absolute, in the
// host tree) needs to run in the guest as the image path as ("/init"):
// its interpreter, then its libraries in the order ld.so loads them,
// followed by those of libs (absolute host paths of libraries the program
// opens itself, each added at its own path with its own dependencies).
// A static program is ErrStatic.
func (r *Resolver) Resolve(prog, as string, libs []string) ([]File, error) {
	f, err := r.open(prog)
	if err != nil {
		return nil, err
	}
	in, err := interp(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	if in == "" {
		return nil, ErrStatic
	}
	real, err := r.Host.Realpath(prog)
	if err != nil {
		return nil, err
	}
	main, err := r.load(File{as, prog}, nil)
	if err != nil {
		return nil, err
	}
	// ld.so takes the program's $ORIGIN from /proc/self/exe.
	main.origin = File{path.Dir(as), path.Dir(real)}
	ld, err := r.load(File{in, in}, nil)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: interpreter %s: %w", prog, in, err)
	} else if err != nil {
		return nil, err
	}
	s := &search{r: r, prog: prog, main: main, names: map[string]bool{}, hosts: map[string]bool{}}
	s.loaded(ld, path.Base(in))
	s.out = append(s.out, ld.File)
	s.hosts[real] = true
	queue := []*object{main}
	for _, l := range libs {
		o, err := s.add(File{l, l}, main, l)
		if err != nil {
			return nil, err
		}
		if o != nil {
			queue = append(queue, o)
		}
	}
	if err := s.closure(queue); err != nil {
		return nil, err
	}
	return s.out, nil
}

// Library returns the host library at lib (absolute, in the host tree)
// and the libraries it needs, as dlopen would load them.
func (r *Resolver) Library(lib string) ([]File, error) {
	s := &search{r: r, prog: lib, names: map[string]bool{}, hosts: map[string]bool{}}
	o, err := s.add(File{lib, lib}, nil, lib)
	if err != nil || o == nil {
		return s.out, err
	}
	return s.out, s.closure([]*object{o})
}

// search is one run of ld.so's loading: what is loaded, by name and by
// host file, and the files in load order.
type search struct {
	r     *Resolver
	prog  string
	main  *object
	names map[string]bool // DT_NEEDED names and sonames loaded (_dl_name_match_p)
	hosts map[string]bool // real host paths loaded (ld.so compares st_dev/st_ino)
	out   []File
}

func (s *search) loaded(o *object, name string) {
	s.names[name] = true
	if o.soname != "" {
		s.names[o.soname] = true
	}
}

// add loads file under name unless its host file is loaded already (nil
// then).
func (s *search) add(file File, loader *object, name string) (*object, error) {
	real, err := s.r.Host.Realpath(file.Host)
	if err != nil {
		return nil, err
	}
	if s.hosts[real] {
		s.names[name] = true
		return nil, nil
	}
	o, err := s.r.load(file, loader)
	if err != nil {
		return nil, err
	}
	s.hosts[real] = true
	s.loaded(o, name)
	s.out = append(s.out, file)
	return o, nil
}

// closure loads the dependencies of queue breadth first, as
// _dl_map_object_deps does.
func (s *search) closure(queue []*object) error {
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		for _, name := range o.needed {
			if s.names[name] {
				continue
			}
			found, err := s.find(name, o)
			if err != nil {
				return err
			}
			if len(found) == 0 {
				return &MissingError{Program: s.prog, Needer: o.Host, Name: name}
			}
			first, err := s.add(found[0], o, name)
			if err != nil {
				return err
			}
			if first != nil {
				queue = append(queue, first)
			}
			// The other variants (glibc-hwcaps) ld.so might pick on
			// another CPU, with their own dependencies.
			for _, f := range found[1:] {
				v, err := s.add(f, o, name)
				if err != nil {
					return err
				}
				if v != nil {
					queue = append(queue, v)
				}
			}
		}
	}
	return nil
}

// find looks name up for loader in _dl_map_object's order and returns
// what it finds: the file ld.so loads first, and other variants of it.
func (s *search) find(name string, loader *object) ([]File, error) {
	if strings.Contains(name, "/") {
		// A path: used as it is, relative to the working directory
		// (the guest's is /).
		p := path.Join("/", name)
		if s.usable(p) {
			return []File{{p, p}}, nil
		}
		return nil, nil
	}
	// DT_RPATH of the loader and of its loaders, then the program's,
	// unless the loader has DT_RUNPATH.
	if loader.runpath == nil {
		didMain := false
		for l := loader; l != nil; l = l.loader {
			if f := s.inDirs(name, l.rpath, l); f != nil {
				return f, nil
			}
			didMain = didMain || l == s.main
		}
		if !didMain && s.main != nil {
			if f := s.inDirs(name, s.main.rpath, s.main); f != nil {
				return f, nil
			}
		}
	}
	if f := s.inDirs(name, loader.runpath, loader); f != nil {
		return f, nil
	}
	if loader.nodeflib {
		return nil, nil
	}
	if err := s.r.readCache(); err != nil {
		return nil, err
	}
	var found []File
	for _, p := range s.r.cache.Lookup(name) {
		if s.usable(p) {
			found = append(found, File{p, p})
		}
	}
	if found != nil {
		return found, nil
	}
	return s.inDirs(name, DefaultDirs, nil), nil
}

// inDirs looks name up in the directories dirs of o's DT_RPATH or
// DT_RUNPATH (o is nil for the default directories), each with its
// glibc-hwcaps subdirectories, and returns what the first directory that
// has it holds.
func (s *search) inDirs(name string, dirs []string, o *object) []File {
	for _, d := range dirs {
		dir, ok := expand(d, o)
		if !ok {
			continue
		}
		var found []File
		for _, sub := range append(append([]string(nil), hwcapsDirs...), "") {
			f := File{path.Join(dir.Path, sub, name), path.Join(dir.Host, sub, name)}
			if s.usable(f.Host) {
				found = append(found, f)
			}
		}
		if found != nil {
			return found
		}
	}
	return nil
}

// usable reports whether the host file at p is one ld.so would load: an
// x86-64 ELF file (open_verify skips others and searches on).
func (s *search) usable(p string) bool {
	f, err := s.r.open(p)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// expand substitutes the dynamic string tokens of one DT_RPATH or
// DT_RUNPATH directory of o (_dl_dst_substitute): $ORIGIN, $LIB and
// $PLATFORM, also spelled ${...}. ok is false for an empty element.
// A relative directory is relative to the working directory, the guest's
// /.
func expand(d string, o *object) (dir File, ok bool) {
	if d == "" {
		return File{}, false
	}
	img, host := d, d
	for _, t := range []struct{ name, img, host string }{
		{"ORIGIN", "", ""},
		{"LIB", "lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"},
		{"PLATFORM", "x86_64", "x86_64"},
	} {
		if t.name == "ORIGIN" {
			if o == nil {
				continue
			}
			t.img, t.host = o.origin.Path, o.origin.Host
		}
		for _, tok := range []string{"${" + t.name + "}", "$" + t.name} {
			img = strings.ReplaceAll(img, tok, t.img)
			host = strings.ReplaceAll(host, tok, t.host)
		}
	}
	return File{path.Join("/", img), path.Join("/", host)}, true
}

// readCache reads the host's ld.so.cache once (none is not an error).
func (r *Resolver) readCache() error {
	if r.read {
		return nil
	}
	r.read = true
	data, err := r.Host.ReadFile(CachePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	r.cache, err = ParseCache(data)
	return err
}
