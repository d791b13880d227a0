package virtio

import "testing"

func TestRingLayout(t *testing.T) {
	// §2.7: descriptors 16n bytes, avail 6+2n, used (4-aligned) 6+8n.
	for _, c := range []struct{ n, avail, used, total int }{
		{1, 16, 24, 38},
		{128, 2048, 2312, 3342},
	} {
		a, u, tot := ringOffsets(c.n)
		if a != c.avail || u != c.used || tot != c.total {
			t.Errorf("n=%d: offsets %d %d %d, want %d %d %d", c.n, a, u, tot, c.avail, c.used, c.total)
		}
	}
	if QueueBytes(maxQueueSize) > PageSize {
		t.Errorf("a queue of %d does not fit a page", maxQueueSize)
	}
}

// TestRingWraps cycles buffers through a queue past the 16-bit index
// wrap, with the device returning them out of order.
func TestRingWraps(t *testing.T) {
	mem := newFakeMem(2)
	page, addr, _ := mem.AllocPage()
	q := NewQueue(0, page, addr, 8)
	d := &fakeDev{mem: mem}
	dq := &devQueue{num: 8, desc: q.DescAddr, avail: q.AvailAddr, used: q.UsedAddr, ready: true}
	for i := 0; i < 70000; i += 4 {
		for k := 0; k < 4; k++ {
			if _, ok := q.Add(uint64(0x1000+i+k), uint32(i+k), k%2 == 0); !ok {
				t.Fatalf("round %d: no free descriptor", i)
			}
		}
		q.Publish()
		var ids []uint16
		for k := 0; k < 4; k++ {
			id, buf, w, ok := d.popRaw(dq)
			if !ok || buf != uint64(0x1000+i+k) || w != (k%2 == 0) {
				t.Fatalf("round %d: device saw %v %#x %v", i, ok, buf, w)
			}
			ids = append(ids, id)
		}
		for k := 3; k >= 0; k-- {
			d.push(dq, ids[k], k)
		}
		for k := 3; k >= 0; k-- {
			id, n, ok := q.Used()
			if !ok || id != ids[k] || n != uint32(k) {
				t.Fatalf("round %d: used %v %d %d, want %d %d", i, ok, id, n, ids[k], k)
			}
		}
		if q.HasUsed() || q.NumFree() != 8 {
			t.Fatalf("round %d: %v used left, %d free", i, q.HasUsed(), q.NumFree())
		}
	}
}
