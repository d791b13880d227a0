package ucount

import "testing"

func TestOf(t *testing.T) {
	var tab Table
	a := tab.Of(1000)
	a.Add(3)
	if tab.Of(1000) != a || tab.Of(1000).Load() != 3 {
		t.Error("a user's count is not kept")
	}
	if tab.Of(0).Load() != 0 {
		t.Error("another user's count is not its own")
	}
}
