package socket

// BufSize is the buffer size sk_setsockopt keeps for SO_SNDBUF,
// SO_RCVBUF and their FORCE forms set to v: capped at wmem_max or
// rmem_max unless forced (compared as unsigned, so a negative value is
// the maximum; a forced negative one is 0), doubled for the kernel's
// bookkeeping, and no smaller than the minimum.
func BufSize(name int, v int32) int {
	switch name {
	case SO_SNDBUF:
		v = int32(min(uint32(v), WmemMax))
	case SO_RCVBUF:
		v = int32(min(uint32(v), RmemMax))
	default:
		v = max(v, 0)
	}
	floor := MinSndbuf
	if name == SO_RCVBUF || name == SO_RCVBUFFORCE {
		floor = MinRcvbuf
	}
	return max(int(min(v, 1<<30-1))*2, floor)
}
