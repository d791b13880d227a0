package ktime

// Forward moves a periodic timer's expiry past now by whole intervals
// (hrtimer_forward): it returns the new expiry and how many intervals it
// moved, 0 if the expiry is still ahead of now. setitimer's ITIMER_REAL,
// POSIX timers and timerfd count their overruns with it.
func Forward(expires, interval, now int64) (next, n int64) {
	if interval <= 0 || now < expires {
		return expires, 0
	}
	n = (now-expires)/interval + 1
	return expires + n*interval, n
}
