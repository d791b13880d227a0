package amd64

import "unsafe"

// Ptr turns an address of memory the Go runtime did not allocate (page
// tables and frames through the direct map, device registers, boot data)
// into a pointer. Such addresses are never inside a Go heap arena, so the
// garbage collector ignores them wherever they are stored. The
// reinterpretation (rather than unsafe.Pointer(addr)) states that addr is
// not a Go-heap address whose object could move or be freed.
func Ptr(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}
