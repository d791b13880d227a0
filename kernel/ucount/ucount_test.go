package ucount

import "testing"

func TestChargeUncharge(t *testing.T) {
	var tab Table
	a := tab.Charge(1000, 2, false)
	b := tab.Charge(1000, 2, false)
	if a == nil || b != a || tab.Load(1000) != 2 {
		t.Fatalf("two charges: %v %v, count %d", a, b, tab.Load(1000))
	}
	if tab.Charge(1000, 2, false) != nil {
		t.Error("a charge past the limit was taken")
	}
	if c := tab.Charge(1000, 2, true); c != a || tab.Load(1000) != 3 {
		t.Error("an overriding charge was refused")
	}
	if tab.Load(0) != 0 || tab.Charge(0, 0, false) != nil {
		t.Error("another user's count is not its own, or a zero limit took a charge")
	}
	for range 3 {
		tab.Uncharge(a)
	}
	if tab.Load(1000) != 0 || tab.Users() != 0 {
		t.Errorf("after every uncharge: count %d, %d users kept", tab.Load(1000), tab.Users())
	}
	// Many users, each charged and given back, leave nothing behind.
	for uid := uint32(0); uid < 10000; uid++ {
		tab.Uncharge(tab.Charge(uid, 1, false))
	}
	if tab.Users() != 0 {
		t.Errorf("%d users kept", tab.Users())
	}
}
