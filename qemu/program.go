package qemu

import "os"

// ProgramBoot returns boot c running program (a host path) as init with
// args: its initramfs holds the program and rootfs (a directory, or ""),
// its command line opts. remove deletes the temporary initramfs once QEMU
// is done with it.
func ProgramBoot(c Config, program, rootfs string, opts, args []string) (_ Config, remove func(), err error) {
	return ImageBoot(c, Initramfs{Program: program, Rootfs: rootfs}, opts, args)
}

// ImageBoot is ProgramBoot with the image img (its Program is init).
func ImageBoot(c Config, img Initramfs, opts, args []string) (_ Config, remove func(), err error) {
	program := img.Program
	initrd, err := img.Build()
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
	c.Initrd, c.Append = path, line
	return c, remove, nil
}
