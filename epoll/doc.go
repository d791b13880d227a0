// Package epoll will hold eventpoll for user programs: the interest set,
// the ready list and wait-queue callbacks, with poll and select beside it
// for comparison (roadmap stage 5).
//
// It is empty today. The kernel's own Go runtime is served by a minimal,
// allocation-free epoll in kernel/rfiles.go.
package epoll
