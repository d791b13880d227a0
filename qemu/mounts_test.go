package qemu

import (
	"context"
	"testing"
	"time"
)

// TestMountTable checks what oyako mounts at boot and how busybox sees
// it, against the text Linux would show for the same mounts: rootfs on /,
// devtmpfs on /dev, proc on /proc, then a tmpfs mounted on /dev/shm. The
// host's own mount table differs, so this is not a differential test.
func TestMountTable(t *testing.T) {
	script := "cat /proc/mounts; mount; mount -t tmpfs -o size=2m shm /dev/shm && df /dev/shm; " +
		"cat /proc/self/mounts; cat /proc/filesystems; " +
		"echo shared > /dev/shm/f && cat /dev/shm/f; umount /dev 2>&1; umount /dev/shm && cat /proc/mounts"
	out, err := RunOyako(context.Background(), kernelImage(t), Case{Program: busybox(t), Args: []string{"sh", "-c", script}}, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := `rootfs / rootfs rw 0 0
devtmpfs /dev devtmpfs rw,relatime,mode=755 0 0
proc /proc proc rw,relatime 0 0
rootfs on / type rootfs (rw)
devtmpfs on /dev type devtmpfs (rw,relatime,mode=755)
proc on /proc type proc (rw,relatime)
Filesystem           1K-blocks      Used Available Use% Mounted on
shm                       2048         0      2048   0% /dev/shm
rootfs / rootfs rw 0 0
devtmpfs /dev devtmpfs rw,relatime,mode=755 0 0
proc /proc proc rw,relatime 0 0
shm /dev/shm tmpfs rw,relatime,size=2048k 0 0
nodev	sysfs
nodev	tmpfs
nodev	proc
nodev	devtmpfs
nodev	ramfs
shared
umount: can't unmount /dev: Device or resource busy
rootfs / rootfs rw 0 0
devtmpfs /dev devtmpfs rw,relatime,mode=755 0 0
proc /proc proc rw,relatime 0 0
`
	if d := Diff([]byte(want), out.Output); d != "" || out.Status != 0 {
		t.Errorf("status %d; output differs from Linux's:\n%s", out.Status, d)
	}
}
