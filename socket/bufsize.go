package socket

// BufSize is the buffer size sk_setsockopt keeps for SO_SNDBUF,
// SO_RCVBUF and their FORCE forms set to v: capped at wmem_max or
// rmem_max unless forced, doubled for the kernel's bookkeeping, and no
// smaller than the minimum.
func BufSize(name int, v int32) int {
	switch name {
	case SO_SNDBUF:
		v = min(v, WmemMax)
	case SO_RCVBUF:
		v = min(v, RmemMax)
	}
	floor := MinSndbuf
	if name == SO_RCVBUF || name == SO_RCVBUFFORCE {
		floor = MinRcvbuf
	}
	return max(int(min(v, 1<<30-1))*2, floor)
}
