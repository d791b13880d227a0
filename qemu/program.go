package qemu

import "os"

// ProgramBoot returns the boot of kernel running program (a host path) as
// init with args, rootfs (a directory, or "") added to its initramfs, and
// opts on the kernel command line. remove deletes the temporary initramfs
// once QEMU is done with it.
func ProgramBoot(kernel, program, rootfs string, opts, args []string) (c Config, remove func(), err error) {
	initrd, err := BuildInitramfs(program, rootfs)
	if err != nil {
		return Config{}, nil, err
	}
	path, err := TempInitramfs(initrd)
	if err != nil {
		return Config{}, nil, err
	}
	remove = func() { os.Remove(path) }
	line, err := InitCmdline(opts, program, args)
	if err != nil {
		remove()
		return Config{}, nil, err
	}
	return Config{Kernel: kernel, Initrd: path, Append: line}, remove, nil
}
