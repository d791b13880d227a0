package mm

// MapKernelPages backs the n pages at va with zeroed frames in the kernel
// page table: writable, not executable, global. It is for kernel stacks
// and similar memory outside the runtime region, which has no VMAs.
func MapKernelPages(va uintptr, n int) Err {
	for i := 0; i < n; i++ {
		pa, err := AllocZeroedFrame()
		if err != OK {
			UnmapKernelPages(va, i)
			return err
		}
		if err := Kernel.pt.Map(va+uintptr(i)*PageSize, pa, PTEWrite|PTENoExec|PTEGlobal); err != OK {
			FreeFrame(pa)
			UnmapKernelPages(va, i)
			return err
		}
	}
	return OK
}

// UnmapKernelPages undoes MapKernelPages, freeing the frames.
func UnmapKernelPages(va uintptr, n int) {
	Kernel.release(va, va+uintptr(n)*PageSize)
}
