// execve(2) of programs whose ELF interpreter (PT_INTERP) cannot be used,
// and of programs for another machine: the errors load_elf_binary gives
// (fs/binfmt_elf.c). The programs are made here: a minimal x86-64 ELF
// executable with one PT_LOAD and a PT_INTERP naming the interpreter
// under test. None of them gets to run; the successful loads are the
// dynamic programs of qemu/dynamic_test.go.
#include "check.h"

#include <elf.h>
#include <sys/stat.h>

// makeELF writes an executable file at path: an ELF header for the given
// class and machine, and unless interp is NULL one PT_LOAD and a PT_INTERP
// holding the ilen bytes of interp.
static void makeELF(const char *path, int class64, int machine, const char *interp, size_t ilen) {
	unsigned char buf[4096] = {0};
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = class64 ? ELFCLASS64 : ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = machine;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0x400000 + 512;
	eh->e_phoff = sizeof *eh;
	eh->e_ehsize = sizeof *eh;
	eh->e_phentsize = sizeof(Elf64_Phdr);
	size_t size = 1024;
	if (interp) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof *eh);
		eh->e_phnum = 2;
		ph[0] = (Elf64_Phdr){.p_type = PT_INTERP, .p_flags = PF_R, .p_offset = 256, .p_vaddr = 0x400000 + 256, .p_filesz = ilen, .p_memsz = ilen, .p_align = 1};
		ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0, .p_vaddr = 0x400000, .p_filesz = size, .p_memsz = size, .p_align = 0x1000};
		memcpy(buf + 256, interp, ilen);
	}
	buf[512] = 0xf4; // hlt: a program that ran would die of SIGSEGV
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0755);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size)
		printf("make %s: %s\n", path, strerrorname_np(errno));
	close(fd);
}

// run executes path and prints how execve failed.
static void run(const char *what, const char *path) {
	char *argv[] = {(char *)path, NULL};
	char *envp[] = {NULL};
	show(what, execve(path, argv, envp));
}

// prog makes ./prog with interp as its interpreter (a C string with its
// NUL) and runs it.
static void prog(const char *what, const char *interp) {
	makeELF("prog", 1, EM_X86_64, interp, strlen(interp) + 1);
	run(what, "./prog");
}

int main(void) {
	char dir[] = "/tmp/interpXXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0) {
		printf("setup: %s\n", strerrorname_np(errno));
		return 1;
	}

	prog("missing interpreter", "/nonexistent/ld-linux-x86-64.so.2");
	prog("missing relative interpreter", "ld.so");
	prog("empty interpreter path", "");
	prog("directory as interpreter", "/");

	putFile("text", "#!/bin/sh\nthis interpreter is a script, which an ELF interpreter cannot be\n");
	prog("interpreter without execute permission", "text");
	chmod("text", 0755);
	prog("script as interpreter", "./text");
	putFile("short", "#!/bin/sh\n");
	chmod("short", 0755);
	prog("interpreter shorter than an ELF header", "short");
	makeELF("i386", 0, EM_386, NULL, 0);
	prog("32-bit interpreter", "i386");
	makeELF("arm64", 1, EM_AARCH64, NULL, 0);
	prog("interpreter for another machine", "arm64");

	// The path must end with its NUL and be 2 to PATH_MAX bytes.
	makeELF("prog", 1, EM_X86_64, "/nonexistent", 12);
	run("PT_INTERP without its NUL", "./prog");
	makeELF("prog", 1, EM_X86_64, "", 1);
	run("one-byte PT_INTERP", "./prog");
	// A NUL inside ends the path, as a C string.
	makeELF("prog", 1, EM_X86_64, "/nonexistent\0/bin/sh", 21);
	run("PT_INTERP with a NUL inside", "./prog");

	// Programs for another machine or class.
	makeELF("prog", 0, EM_386, NULL, 0);
	run("32-bit program", "./prog");
	makeELF("prog", 1, EM_AARCH64, NULL, 0);
	run("arm64 program", "./prog");

	// A script whose interpreter is a program whose interpreter is missing.
	prog("(made ./prog)", "/nonexistent/ld.so");
	putFile("script", "#!./prog\n");
	chmod("script", 0755);
	run("script run by a program without its interpreter", "./script");

	const char *files[] = {"prog", "text", "short", "i386", "arm64", "script"};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		unlink(files[i]);
	chdir("/");
	R(rmdir(dir));
	return 0;
}
