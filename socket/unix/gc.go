package unix

import "oyako/fs"

// inflight counts, for each socket whose file is queued in SCM_RIGHTS
// messages, how many times it is (unix_inflight); guarded by mu.
var inflight = map[*Sock]int{}

func inflightAdd(files []*fs.File) {
	for _, f := range files {
		if s, ok := FromFile(f); ok {
			inflight[s]++
		}
	}
}

func inflightDel(files []*fs.File) {
	for _, f := range files {
		if s, ok := FromFile(f); ok {
			if inflight[s]--; inflight[s] <= 0 {
				delete(inflight, s)
			}
		}
	}
}

// gcLocked is unix_gc: it finds the sockets that only messages queued
// on such sockets keep alive (a socket sent over itself and closed, or
// two sent over each other) and empties their queues, which lets the
// cycle's files go. A candidate is a socket all of whose file's
// references are in flight; one is alive if something besides the
// candidates' queues holds it, or a live candidate's queue does. The
// rest are garbage. Files dropped here go to drop, released once mu is.
func gcLocked(drop *[]*fs.File) {
	if len(inflight) == 0 {
		return
	}
	cand := map[*Sock]bool{}
	for s, k := range inflight {
		if s.file != nil && s.file.Refs() == int64(k) {
			cand[s] = true
		}
	}
	if len(cand) == 0 {
		return
	}
	// held counts each candidate's references from candidates' queues
	// (a listener's pending connections' queues included).
	held := map[*Sock]int{}
	forQueued := func(s *Sock, fn func(*Sock)) {
		visit := func(q []*skb) {
			for _, b := range q {
				for _, f := range b.files {
					if t, ok := FromFile(f); ok && cand[t] {
						fn(t)
					}
				}
			}
		}
		visit(s.recv)
		for _, b := range s.recv {
			if b.conn != nil {
				visit(b.conn.recv)
			}
		}
	}
	for s := range cand {
		forQueued(s, func(t *Sock) { held[t]++ })
	}
	alive := map[*Sock]bool{}
	var work []*Sock
	for s := range cand {
		if s.file.Refs() > int64(held[s]) {
			alive[s] = true
			work = append(work, s)
		}
	}
	for len(work) > 0 {
		s := work[len(work)-1]
		work = work[:len(work)-1]
		forQueued(s, func(t *Sock) {
			if !alive[t] {
				alive[t] = true
				work = append(work, t)
			}
		})
	}
	var n notes
	for s := range cand {
		if alive[s] {
			continue
		}
		for _, b := range s.recv {
			if b.conn != nil {
				for _, e := range b.conn.recv {
					e.free(&n, drop)
				}
				b.conn.recv = nil
			}
			b.free(&n, drop)
		}
		s.recv = nil
	}
	// Nobody can wait on a garbage socket: its wake-ups are moot.
}
