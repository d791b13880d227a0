# Busybox's file applets on the writable file system; paths are relative
# to the working directory (the rootfs, or its copy natively).
cd tmp
mkdir -p a/b/c && echo mkdir -p: $?
mkdir a 2>&1; echo mkdir existing: $?
echo hello > a/b/c/f
touch a/t
ln a/b/c/f a/hard
ln -s b/c/f a/soft
ln -s missing a/dangling
ln a/b/c/f a/hard 2>&1; echo ln existing: $?
ln -sf b/c a/soft2
stat -c '%n %F %a %h %s' a a/b a/b/c a/b/c/f a/hard a/soft a/t
readlink a/soft && readlink a/soft2
cat a/soft
chmod 600 a/t && chmod u+x,g+r,o+w a/t && stat -c '%n %A' a/t
chmod 4755 a/t && stat -c '%n %a %A' a/t
chmod -R go-rwx a/b && stat -c '%n %a' a/b a/b/c a/b/c/f
touch -d '2001-02-03 04:05:06' a/t && stat -c '%n %Y %X' a/t
touch -r a/t a/hard && stat -c '%n %Y' a/b/c/f
touch -c a/nonexistent; ls a
cp -a a c && echo cp -a: $?
stat -c '%n %F %a %h %s' c c/t c/hard c/soft c/b/c/f && stat -c '%n %Y' c/t c/hard
cp a/b/c/f a/copy && cat a/copy
cp a/b a/x 2>&1; echo cp dir: $?
mv c d && mv d/t d/t2 && mv d/t2 d/b/ && ls -R d
mv d/b/t2 a/ && stat -c '%n %a' a/t2
mv a/b d 2>&1; echo mv dir onto nonempty: $?
rm a/hard && stat -c '%n %h' a/b/c/f
rm a/b 2>&1; echo rm dir: $?
rmdir a/b 2>&1; echo rmdir nonempty: $?
rm -r a d && echo rm -r: $?
ls -A
mkfifo p && stat -c '%n %F %a' p && rm p
mknod n c 1 3 && stat -c '%n %F %t:%T' n && echo gone > n && rm n
echo 0123456789 > tr && truncate -s 4 tr && cat tr && echo && truncate -s 8 tr && stat -c '%s %b' tr && rm tr
