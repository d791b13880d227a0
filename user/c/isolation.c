// Isolation: one forbidden action per run, chosen by argv[1]. Each must
// kill the program (SIGSEGV: status 139), or fail with EFAULT, and leave
// the kernel running.
#include "check.h"

int main(int argc, char **argv) {
	const char *what = argc > 1 ? argv[1] : "";
	printf("trying %s\n", what);
	fflush(stdout);
	if (!strcmp(what, "kread"))
		printf("%d\n", *(volatile int *)KERNEL_PTR);
	else if (!strcmp(what, "kwrite"))
		*(volatile int *)KERNEL_PTR = 1;
	else if (!strcmp(what, "kexec"))
		((void (*)(void))KERNEL_PTR)();
	else if (!strcmp(what, "null"))
		*(volatile int *)0 = 1;
	else if (!strcmp(what, "hlt"))
		__asm__ volatile("hlt");
	else if (!strcmp(what, "cli"))
		__asm__ volatile("cli");
	else if (!strcmp(what, "wrmsr"))
		__asm__ volatile("wrmsr" ::"c"(0xc0000080), "a"(0), "d"(0));
	else if (!strcmp(what, "cr3"))
		__asm__ volatile("mov %0, %%cr3" ::"r"(0UL));
	else if (!strcmp(what, "inb"))
		__asm__ volatile("inb $0x60, %%al" ::: "eax");
	else if (!strcmp(what, "outb"))
		__asm__ volatile("outb %%al, $0xf4" ::"a"(0));
	else if (!strcmp(what, "kptr")) {
		R(write(1, KERNEL_PTR, 8));
		R(read(0, KERNEL_PTR, 8));
		R(syscall(SYS_getcwd, KERNEL_PTR, 100));
		R(open((char *)KERNEL_PTR, O_RDONLY));
		R(syscall(SYS_clock_gettime, 0, KERNEL_PTR));
		R(syscall(SYS_rt_sigaction, 10, KERNEL_PTR, 0, 8));
		R(syscall(SYS_uname, 0x7fffffffffffUL));
		R(syscall(SYS_uname, 0x800000000000UL));
		return 0;
	}
	printf("survived %s\n", what);
	return 1;
}
