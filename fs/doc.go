// Package fs will hold the VFS: file descriptions and fd tables, the
// initramfs (cpio newc) unpacked into a ramfs, devfs, the console tty,
// pipes, eventfd and procfs (roadmap stages 2 and 4).
//
// It is empty today: the kernel's own Go runtime gets its few files
// (console, eventfd, epoll) from kernel/rfiles.go, and no user program
// runs yet.
package fs
