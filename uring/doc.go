// Package uring will hold io_uring: setup, the ring mmaps, SQE operations,
// CQ posting, the SQPOLL thread and register (roadmap stage 6).
//
// It is empty today.
package uring
