// The vDSO as a program finds it: the ELF image at AT_SYSINFO_EHDR, its
// dynamic section, hash tables, symbols and version definitions, parsed
// by hand the way the Go runtime does (runtime/vdso_linux.go), then each
// function called through the pointer found.
#include "check.h"
#include <elf.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>

static const char *names[] = {
	"__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_getcpu", "__vdso_clock_getres",
	"clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres",
};

int main(void) {
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	ok("AT_SYSINFO_EHDR", base != 0);
	if (!base)
		return 1;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	ok("ELF magic", !memcmp(eh->e_ident, ELFMAG, SELFMAG));
	printf("class %d type %d machine %d\n", eh->e_ident[EI_CLASS], eh->e_type, eh->e_machine);

	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	uintptr_t load = 0;
	const Elf64_Dyn *dyn = NULL;
	int nload = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && nload++ == 0)
			load = base + ph[i].p_offset - ph[i].p_vaddr;
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
	}
	ok("PT_LOAD", nload >= 1);
	ok("PT_DYNAMIC", dyn != NULL);

	const char *strtab = NULL;
	const Elf64_Sym *symtab = NULL;
	const Elf64_Word *hash = NULL;
	const Elf64_Word *gnuhash = NULL;
	const Elf64_Versym *versym = NULL;
	const Elf64_Verdef *verdef = NULL;
	for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = load + dyn->d_un.d_ptr;
		switch (dyn->d_tag) {
		case DT_STRTAB: strtab = (const char *)p; break;
		case DT_SYMTAB: symtab = (const Elf64_Sym *)p; break;
		case DT_HASH: hash = (const Elf64_Word *)p; break;
		case DT_GNU_HASH: gnuhash = (const Elf64_Word *)p; break;
		case DT_VERSYM: versym = (const Elf64_Versym *)p; break;
		case DT_VERDEF: verdef = (const Elf64_Verdef *)p; break;
		}
	}
	ok("DT_STRTAB and DT_SYMTAB", strtab && symtab);
	ok("DT_HASH", hash != NULL);
	ok("DT_GNU_HASH", gnuhash != NULL);
	ok("DT_VERSYM and DT_VERDEF", versym && verdef);
	if (!strtab || !symtab || !hash || !versym || !verdef)
		return 1;

	// The symbol count from DT_HASH's nchain agrees with DT_GNU_HASH's.
	unsigned nsym = hash[1];
	unsigned nbuckets = gnuhash[0], symoffset = gnuhash[1], bloom = gnuhash[2];
	const Elf64_Word *buckets = gnuhash + 4 + bloom * 2;
	const Elf64_Word *chain = buckets + nbuckets;
	unsigned last = 0;
	for (unsigned b = 0; b < nbuckets; b++)
		if (buckets[b] > last)
			last = buckets[b];
	if (last >= symoffset)
		while (!(chain[last - symoffset] & 1))
			last++;
	ok("hash tables agree on the symbol count", last + 1 == nsym);

	void *fn[sizeof names / sizeof names[0]] = {0};
	for (unsigned n = 0; n < sizeof names / sizeof names[0]; n++) {
		const char *version = "(none)";
		int found = 0, isfunc = 0;
		for (unsigned i = 1; i < nsym; i++) {
			if (strcmp(strtab + symtab[i].st_name, names[n]) || symtab[i].st_shndx == SHN_UNDEF)
				continue;
			found = 1;
			isfunc = ELF64_ST_TYPE(symtab[i].st_info) == STT_FUNC;
			fn[n] = (void *)(load + symtab[i].st_value);
			unsigned want = versym[i] & 0x7fff;
			for (const Elf64_Verdef *d = verdef;; d = (const Elf64_Verdef *)((const char *)d + d->vd_next)) {
				if (d->vd_ndx == want && !(d->vd_flags & VER_FLG_BASE)) {
					const Elf64_Verdaux *a = (const Elf64_Verdaux *)((const char *)d + d->vd_aux);
					version = strtab + a->vda_name;
				}
				if (!d->vd_next)
					break;
			}
		}
		printf("%s: found %d function %d version %s\n", names[n], found, isfunc, version);
	}

	// Call them through the pointers found.
	struct timespec a, b;
	int (*cg)(clockid_t, struct timespec *) = fn[0];
	clock_gettime(CLOCK_MONOTONIC, &a);
	ok("__vdso_clock_gettime(CLOCK_MONOTONIC) works", cg && cg(CLOCK_MONOTONIC, &b) == 0 &&
	   (b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec)));
	ok("__vdso_clock_gettime of a bad clock fails", cg && cg(99, &b) == -EINVAL);
	int (*gtod)(struct timeval *, void *) = fn[1];
	struct timeval tv;
	ok("__vdso_gettimeofday works", gtod && gtod(&tv, NULL) == 0 && tv.tv_sec > 1577836800);
	long (*tm)(long *) = fn[2];
	long t1 = 0;
	ok("__vdso_time works", tm && tm(&t1) == t1 && t1 > 1577836800);
	int (*gc)(unsigned *, unsigned *, void *) = fn[3];
	unsigned cpu = 99, node = 99;
	ok("__vdso_getcpu works", gc && gc(&cpu, &node, NULL) == 0 && cpu < 4096 && node < 64);
	int (*gr)(clockid_t, struct timespec *) = fn[4];
	ok("__vdso_clock_getres(CLOCK_MONOTONIC) is 1 ns", gr && gr(CLOCK_MONOTONIC, &b) == 0 && b.tv_sec == 0 && b.tv_nsec == 1);
	return 0;
}
