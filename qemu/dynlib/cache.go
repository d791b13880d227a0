package dynlib

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// The layout of /etc/ld.so.cache as glibc's ldconfig writes it since 2.32
// (sysdeps/generic/dl-cache.h, elf/cache.c): a header, the entries sorted
// by name, then the strings (and an extension area, not read here). An
// older cache may have the "ld.so-1.7.0" format first, the new one after
// it (aligned to 8); the new entries' string offsets count from the new
// header.
const (
	cacheMagicOld   = "ld.so-1.7.0"
	cacheMagicNew   = "glibc-ld.so.cache1.1"
	cacheHeaderNew  = 48 // magic+version 20, nlibs 4, len_strings 4, flags 1, pad 3, extension_offset 4, unused 12
	cacheEntryNew   = 24 // flags 4, key 4, value 4, osversion 4, hwcap 8
	cacheHeaderOld  = 16 // magic 11, pad 1, nlibs 4
	cacheEntryOld   = 12 // flags 4, key 4, value 4
	cacheEndianLE   = 2  // cache_file_new_flags_endian_little
	cacheEndianMask = 3

	// flagX8664Libc6 is an entry's flags for an x86-64 glibc library:
	// FLAG_ELF_LIBC6 | FLAG_X8664_LIB64, what _dl_cache_check_flags
	// accepts on x86-64.
	flagX8664Libc6 = 0x0303
)

// A CacheEntry is one library of ld.so.cache: the name ld.so looks up (a
// DT_NEEDED name, usually the soname) and the path it loads.
type CacheEntry struct {
	Name, Path string
	Flags      int32
	HWCap      uint64
}

// Cache is a parsed ld.so.cache.
type Cache struct {
	Entries []CacheEntry
}

// ParseCache parses an ld.so.cache in glibc's format.
func ParseCache(data []byte) (*Cache, error) {
	base := 0
	if bytes.HasPrefix(data, []byte(cacheMagicOld)) {
		if len(data) < cacheHeaderOld {
			return nil, errors.New("ld.so.cache: truncated")
		}
		n := int(binary.LittleEndian.Uint32(data[12:]))
		base = (cacheHeaderOld + n*cacheEntryOld + 7) &^ 7
		if n < 0 || base > len(data) {
			return nil, errors.New("ld.so.cache: truncated")
		}
	}
	d := data[base:]
	if !bytes.HasPrefix(d, []byte(cacheMagicNew)) || len(d) < cacheHeaderNew {
		return nil, errors.New("ld.so.cache: not in glibc's format (glibc-ld.so.cache1.1)")
	}
	if e := d[28] & cacheEndianMask; e != 0 && e != cacheEndianLE {
		return nil, errors.New("ld.so.cache: big-endian")
	}
	n := int(binary.LittleEndian.Uint32(d[20:]))
	if n < 0 || n > (len(d)-cacheHeaderNew)/cacheEntryNew {
		return nil, fmt.Errorf("ld.so.cache: %d entries do not fit", n)
	}
	str := func(off uint32) (string, error) {
		if int64(off) >= int64(len(d)) {
			return "", errors.New("ld.so.cache: string offset out of range")
		}
		s := d[off:]
		end := bytes.IndexByte(s, 0)
		if end < 0 {
			return "", errors.New("ld.so.cache: unterminated string")
		}
		return string(s[:end]), nil
	}
	c := &Cache{Entries: make([]CacheEntry, 0, n)}
	for i := range n {
		e := d[cacheHeaderNew+i*cacheEntryNew:]
		name, err := str(binary.LittleEndian.Uint32(e[4:]))
		if err != nil {
			return nil, err
		}
		p, err := str(binary.LittleEndian.Uint32(e[8:]))
		if err != nil {
			return nil, err
		}
		c.Entries = append(c.Entries, CacheEntry{
			Name:  name,
			Path:  p,
			Flags: int32(binary.LittleEndian.Uint32(e)),
			HWCap: binary.LittleEndian.Uint64(e[16:]),
		})
	}
	return c, nil
}

// Lookup returns the paths of the x86-64 libraries named name, every
// variant (glibc-hwcaps subdirectory) of it, in the cache's order.
func (c *Cache) Lookup(name string) []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, e := range c.Entries {
		if e.Name == name && e.Flags == flagX8664Libc6 {
			out = append(out, e.Path)
		}
	}
	return out
}
