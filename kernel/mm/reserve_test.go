package mm

import "testing"

// TestUserReserve checks that user allocations leave the reserve free,
// that the kernel's own allocations may take it, and that a user
// allocation at the line asks for a reclaim first.
func TestUserReserve(t *testing.T) {
	UseHostMemory(1 << 20) // 256 frames
	defer UseHostMemory(64 << 20)
	SetUserReserve(16)
	defer SetUserReserve(0)
	reclaims := 0
	Reclaim = func() { reclaims++ }
	defer func() { Reclaim = nil }()

	total, _, _ := FrameStats()
	var got []uint64
	for {
		pa, err := AllocUserFrame()
		if err != OK {
			break
		}
		got = append(got, pa)
	}
	if _, used, _ := FrameStats(); total-used != 16 {
		t.Fatalf("user allocations left %d frames free, want the reserve of 16", total-used)
	}
	if reclaims != 1 {
		t.Fatalf("%d reclaims before refusing, want 1", reclaims)
	}
	if ChargeUser(1) {
		t.Fatal("a charge went through at the reserve")
	}
	// The kernel may take the reserve.
	pa, err := AllocFrame()
	if err != OK {
		t.Fatal("the kernel could not allocate from the reserve")
	}
	FreeFrame(pa)
	// Memory given back makes room again.
	FreeFrame(got[0])
	if !ChargeUser(1) {
		t.Fatal("a charge was refused with a frame above the reserve")
	}
	UnchargeUser(1)
	if Charged() != 0 {
		t.Fatalf("charged %d after giving it back", Charged())
	}
}

// TestKernelBudget checks that kernel heap memory made for programs is
// admitted only within the kernel runtime's budget.
func TestKernelBudget(t *testing.T) {
	SetKernelBudget(Kernel.Resident() + 2)
	defer SetKernelBudget(0)
	if !AdmitKernel(2) {
		t.Fatal("refused within the budget")
	}
	if AdmitKernel(3) {
		t.Fatal("admitted beyond the budget")
	}
	// Charges may take half the budget, counted exactly.
	SetKernelBudget(8)
	if !ChargeUser(4) || ChargeUser(1) {
		t.Fatal("charges not bounded by half the budget")
	}
	UnchargeUser(4)
	if !ChargeUser(1) {
		t.Fatal("a charge refused after the others were given back")
	}
	UnchargeUser(1)
}

// TestThrottle checks that a system call entry waits for a reclaim only
// once the kernel's heap has taken half of the reserve.
func TestThrottle(t *testing.T) {
	UseHostMemory(1 << 20) // 256 frames
	defer UseHostMemory(64 << 20)
	SetUserReserve(16)
	defer SetUserReserve(0)
	reclaims := 0
	Reclaim = func() { reclaims++ }
	defer func() { Reclaim = nil }()

	total, used, _ := FrameStats()
	var got []uint64
	for ; used+9 < total; used++ {
		pa, err := AllocFrame()
		if err != OK {
			t.Fatal(err)
		}
		got = append(got, pa)
	}
	Throttle()
	if reclaims != 0 {
		t.Fatalf("%d reclaims with 9 frames of a reserve of 16 free, want 0", reclaims)
	}
	pa, _ := AllocFrame()
	got = append(got, pa)
	Throttle()
	if reclaims != 1 {
		t.Fatalf("%d reclaims with 8 frames of a reserve of 16 free, want 1", reclaims)
	}
	for _, pa := range got {
		FreeFrame(pa)
	}
}
