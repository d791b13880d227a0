// Extended attributes on a file system without them: the xattr calls
// (getxattr, setxattr, listxattr, removexattr and their l- and f- forms)
// on ramfs, which has no xattr handlers on Linux, as oyako's file systems
// have none. The order of the checks (flags, name, value, path or
// descriptor, read-only mount, the namespace's permission) and what is
// left: EOPNOTSUPP and an empty list. Natively it runs as root in a mount
// namespace of its own (it mounts ramfs under its working directory).
#include "check.h"
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>

int main(void) {
	char value[64], list[256];
	char longName[300];
	memset(longName, 'a', sizeof longName - 1);
	longName[sizeof longName - 1] = 0;
	memcpy(longName, "user.", 5);

	mkdir("xa", 0755);
	R(mount("none", "xa", "ramfs", 0, NULL));
	putFile("xa/f", "data\n");
	R(symlink("f", "xa/l"));
	R(mkfifo("xa/p", 0644));
	R(mkdir("xa/d", 0755));

	// Every namespace: nothing to get, nothing stored.
	const char *names[] = {"user.x", "trusted.x", "security.selinux", "system.posix_acl_access", "system.posix_acl_default", "other.x"};
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
		printf("%s:\n", names[i]);
		R(getxattr("xa/f", names[i], value, sizeof value));
		R(getxattr("xa/f", names[i], NULL, 0));
		R(lgetxattr("xa/l", names[i], value, sizeof value));
		R(getxattr("xa/d", names[i], value, sizeof value));
		R(setxattr("xa/f", names[i], "v", 1, 0));
		R(removexattr("xa/f", names[i]));
	}
	// A POSIX ACL's value is parsed before the file system is asked
	// (posix_acl_from_xattr): too short or a partial entry is EINVAL, an
	// unknown version EOPNOTSUPP.
	const unsigned char acl[] = {2, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff};
	const unsigned char acl1[] = {1, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff};
	R(setxattr("xa/f", "system.posix_acl_access", acl, sizeof acl, 0));
	R(setxattr("xa/f", "system.posix_acl_access", acl, 4, 0));
	R(setxattr("xa/f", "system.posix_acl_access", acl, 3, 0));
	R(setxattr("xa/f", "system.posix_acl_access", acl, 10, 0));
	R(setxattr("xa/f", "system.posix_acl_access", acl1, sizeof acl1, 0));
	R(setxattr("xa/f", "system.posix_acl_access", NULL, 0, 0));

	// user.* names belong to regular files and directories only.
	R(getxattr("xa/p", "user.x", value, sizeof value));
	R(setxattr("xa/p", "user.x", "v", 1, 0));
	R(lsetxattr("xa/l", "user.x", "v", 1, 0));
	R(lremovexattr("xa/l", "user.x"));
	R(setxattr("xa/d", "user.x", "v", 1, XATTR_CREATE));

	// Lists are empty.
	R(listxattr("xa/f", list, sizeof list));
	R(listxattr("xa/f", NULL, 0));
	R(llistxattr("xa/l", list, sizeof list));
	R(listxattr("xa/d", list, 1));
	R(listxattr("xa/f", KERNEL_PTR, sizeof list));

	// The descriptor forms.
	int fd = open("xa/f", O_RDONLY);
	int opath = open("xa/f", O_PATH);
	R(fgetxattr(fd, "user.x", value, sizeof value));
	R(fsetxattr(fd, "user.x", "v", 1, 0));
	R(fremovexattr(fd, "user.x"));
	R(flistxattr(fd, list, sizeof list));
	R(fgetxattr(opath, "user.x", value, sizeof value));
	R(flistxattr(opath, list, sizeof list));
	R(fsetxattr(opath, "user.x", "v", 1, 0));
	R(fgetxattr(-1, "user.x", value, sizeof value));
	R(flistxattr(999, list, sizeof list));
	R(fremovexattr(-1, ""));
	R(fgetxattr(-1, "", value, sizeof value));
	R(fsetxattr(-1, "", "v", 1, 0));
	R(fsetxattr(-1, "user.x", KERNEL_PTR, 1, 0));
	R(fgetxattr(opath, "", value, sizeof value));
	R(fremovexattr(opath, ""));
	R(fgetxattr(fd, "", value, sizeof value));

	// The order of the checks: flags, then the name, then the value,
	// then the path.
	R(setxattr("xa/nope", "user.x", "v", 1, 4));
	R(setxattr("xa/nope", "", "v", 1, 0));
	R(setxattr("xa/nope", longName, "v", 1, 0));
	R(setxattr("xa/nope", KERNEL_PTR, "v", 1, 0));
	R(setxattr("xa/nope", "user.x", KERNEL_PTR, 1, 0));
	static char big[65537];
	R(setxattr("xa/nope", "user.x", big, sizeof big, 0));
	R(setxattr("xa/nope", "user.x", "v", 1, 0));
	R(setxattr("xa/f", "user.x", NULL, 0, XATTR_REPLACE));
	R(fsetxattr(-1, "user.x", "v", 1, 4));
	R(fsetxattr(fd, "user.x", "v", 1, 4));
	R(getxattr("xa/nope", "", value, sizeof value));
	R(getxattr("xa/nope", longName, value, sizeof value));
	longName[255] = 0; // XATTR_NAME_MAX
	R(getxattr("xa/nope", longName, value, sizeof value));
	R(getxattr("xa/f", longName, value, sizeof value));
	R(getxattr("xa/nope", KERNEL_PTR, value, sizeof value));
	R(getxattr(KERNEL_PTR, "user.x", value, sizeof value));
	R(getxattr("xa/f/x", "user.x", value, sizeof value));
	R(listxattr("xa/nope", list, sizeof list));
	R(listxattr(KERNEL_PTR, list, sizeof list));
	R(removexattr("xa/nope", ""));
	R(removexattr("xa/nope", "user.x"));
	R(lremovexattr("xa/l/x", "user.x"));
	R(getxattr("xa/nope", "user.x", KERNEL_PTR, sizeof value));

	// A read-only mount refuses changes before anything else about the
	// file.
	R(mount(NULL, "xa", NULL, MS_REMOUNT | MS_RDONLY, NULL));
	R(setxattr("xa/f", "user.x", "v", 1, 0));
	R(setxattr("xa/p", "user.x", "v", 1, 0));
	R(removexattr("xa/f", "trusted.x"));
	R(fsetxattr(fd, "user.x", "v", 1, 0));
	R(getxattr("xa/f", "user.x", value, sizeof value));
	R(listxattr("xa/f", list, sizeof list));

	close(fd);
	close(opath);
	R(umount2("xa", MNT_DETACH));
	R(rmdir("xa"));
	return 0;
}
