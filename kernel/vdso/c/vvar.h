/*
 * The vvar page: the time data the kernel publishes for the vDSO. It is
 * one page, mapped read-only in front of the vDSO in every process (and
 * in the kernel's own mapping of the vDSO). This struct and the Go
 * struct vdso.VVar (kernel/vdso/vvar.go) must have the same layout; a
 * test compares their offsets.
 */
#ifndef OYAKO_VVAR_H
#define OYAKO_VVAR_H

#include <stdint.h>

/* flags */
#define OYAKO_VVAR_RDTSCP 1 /* RDTSCP works and TSC_AUX holds the CPU number */

struct oyako_vvar {
	uint32_t seq;            /* odd while the kernel updates the page */
	uint32_t flags;
	uint64_t tsc_base;       /* TSC at CLOCK_MONOTONIC 0 */
	uint64_t mult;           /* ns = (tsc - tsc_base) * mult >> shift, 128-bit product */
	uint32_t shift;
	uint32_t reserved;
	int64_t realtime_offset; /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	int64_t coarse_mono;     /* CLOCK_MONOTONIC at the last tick, ns */
	int64_t coarse_res;      /* resolution of the coarse clocks, ns */
};

#endif
