package ktime

import "testing"

func TestForward(t *testing.T) {
	for _, c := range []struct{ expires, interval, now, next, n int64 }{
		{100, 10, 50, 100, 0},  // still ahead
		{100, 10, 100, 110, 1}, // exactly at the expiry
		{100, 10, 105, 110, 1},
		{100, 10, 145, 150, 5}, // four missed, and this one
		{100, 0, 145, 100, 0},  // one-shot: nothing to move
	} {
		next, n := Forward(c.expires, c.interval, c.now)
		if next != c.next || n != c.n {
			t.Errorf("Forward(%d, %d, %d) = %d, %d; want %d, %d", c.expires, c.interval, c.now, next, n, c.next, c.n)
		}
	}
}
