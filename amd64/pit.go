package amd64

// The 8254 programmable interval timer, used only to calibrate the TSC: it
// counts at a known frequency.
const (
	PITHz       = 1193182
	pitChannel0 = 0x40
	pitCommand  = 0x43
)

// PITStart loads channel 0 with 0xffff in mode 0 (count down, no reload).
func PITStart() {
	Outb(pitCommand, 0x30) // channel 0, lobyte/hibyte, mode 0, binary
	Outb(pitChannel0, 0xff)
	Outb(pitChannel0, 0xff)
}

// PITCount latches and returns channel 0's current count.
func PITCount() uint16 {
	Outb(pitCommand, 0x00) // latch channel 0
	lo := Inb(pitChannel0)
	hi := Inb(pitChannel0)
	return uint16(hi)<<8 | uint16(lo)
}
