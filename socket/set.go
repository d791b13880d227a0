package socket

import "sync"

// Set is a family's live sockets, for the lists of /proc/net: Add when
// a socket is made, Remove when it is released, List to read them.
type Set[T comparable] struct {
	mu sync.Mutex
	m  map[T]struct{}
}

// Add puts v in the set.
func (s *Set[T]) Add(v T) {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[T]struct{}{}
	}
	s.m[v] = struct{}{}
	s.mu.Unlock()
}

// Remove takes v out of the set.
func (s *Set[T]) Remove(v T) {
	s.mu.Lock()
	delete(s.m, v)
	s.mu.Unlock()
}

// List returns the set's members now, in no order; the set's lock is
// not held when it returns.
func (s *Set[T]) List() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]T, 0, len(s.m))
	for v := range s.m {
		list = append(list, v)
	}
	return list
}
