# Busybox's mount, umount and df on mounts below the working directory
# (natively run in a mount namespace of its own); mount points show
# relative to it.
P=$(pwd)
[ "$P" = / ] && P=
show() { sed "s| $P/tmp/| /tmp/|"; }
mkdir tmp/mnt tmp/mnt2
mount -t tmpfs -o size=1m,mode=700 tdata tmp/mnt && echo mount: $?
mount | grep " $P/tmp/" | show
grep " $P/tmp/" /proc/mounts | show
stat -c '%a %h %s' tmp/mnt
df tmp/mnt | show
dd if=/dev/zero of=tmp/mnt/f bs=1k count=100 2>/dev/null
df -k tmp/mnt | show
mount -o remount,ro tmp/mnt && echo remount ro: $?
touch tmp/mnt/x 2>&1
mount | grep " $P/tmp/" | show
mount -o remount,rw,size=2m tmp/mnt && echo remount rw: $?
df tmp/mnt | show
touch tmp/mnt/x && echo touch: $?
mount --bind tmp/mnt tmp/mnt2 && echo bind: $?
ls tmp/mnt2
mount | grep " $P/tmp/" | show
umount tmp/mnt2 && echo umount: $?
umount tmp/mnt2 2>&1; echo umount again: $?
mount --move tmp/mnt tmp/mnt2 && echo move: $?
ls tmp/mnt2
cd tmp/mnt2
umount ../mnt2 2>&1 | show; echo umount busy
cd ../..
umount tmp/mnt2 && echo umount: $?
mount -t proc proc tmp/mnt && test -e tmp/mnt/self && echo proc: $?
mount | grep " $P/tmp/" | show
umount tmp/mnt
mount -t nosuchfs x tmp/mnt 2>&1; echo unknown type: $?
mount -t tmpfs -o bogus x tmp/mnt 2>&1; echo bad option: $?
mount -t tmpfs x tmp/nope 2>&1; echo missing: $?
rmdir tmp/mnt tmp/mnt2
