package virtio

import (
	"errors"
	"fmt"
)

// Regs reads and writes a virtio-mmio transport's 32-bit registers at
// offsets from its base.
type Regs interface {
	Read32(off uintptr) uint32
	Write32(off uintptr, v uint32)
}

// virtio-mmio registers, version 2 (§4.2.2).
const (
	RegMagic            = 0x000
	RegVersion          = 0x004
	RegDeviceID         = 0x008
	RegVendorID         = 0x00c
	RegDeviceFeatures   = 0x010
	RegDeviceFeatureSel = 0x014
	RegDriverFeatures   = 0x020
	RegDriverFeatureSel = 0x024
	RegQueueSel         = 0x030
	RegQueueNumMax      = 0x034
	RegQueueNum         = 0x038
	RegQueueReady       = 0x044
	RegQueueNotify      = 0x050
	RegInterruptStatus  = 0x060
	RegInterruptACK     = 0x064
	RegStatus           = 0x070
	RegQueueDescLow     = 0x080
	RegQueueDescHigh    = 0x084
	RegQueueDriverLow   = 0x090
	RegQueueDriverHigh  = 0x094
	RegQueueDeviceLow   = 0x0a0
	RegQueueDeviceHigh  = 0x0a4
	RegConfigGeneration = 0x0fc
	RegConfig           = 0x100

	// MMIOMagic is "virt" read as a little-endian word.
	MMIOMagic = 0x74726976
	// MMIOSize is the register window of one transport (QEMU's 0x200).
	MMIOSize = 0x200
)

// Device status bits (§2.1).
const (
	StatusAcknowledge      = 1
	StatusDriver           = 2
	StatusDriverOK         = 4
	StatusFeaturesOK       = 8
	StatusDeviceNeedsReset = 64
	StatusFailed           = 128
)

// Interrupt status bits (§4.2.2, InterruptStatus).
const (
	InterruptUsedBuffer   = 1
	InterruptConfigChange = 2
)

// FeatureVersion1 is VIRTIO_F_VERSION_1: the device follows the 1.x
// specification (required of a version 2 transport's driver).
const FeatureVersion1 = 1 << 32

// Device IDs (§5).
const DeviceConsole = 3

// ErrNoDevice is returned by Probe for a transport with no device behind
// it, or one this package does not drive.
var ErrNoDevice = errors.New("virtio: no device")

// Transport is a virtio-mmio transport with a device behind it.
type Transport struct {
	regs     Regs
	DeviceID uint32
	// Features are the features negotiated by Init.
	Features uint64
}

// Probe looks at the transport behind regs: the magic value, version 2
// (QEMU offers the legacy version 1 unless -global
// virtio-mmio.force-legacy=false) and a device ID other than 0 (an empty
// slot). A legacy transport is ErrNoDevice too.
func Probe(regs Regs) (*Transport, error) {
	if regs.Read32(RegMagic) != MMIOMagic {
		return nil, ErrNoDevice
	}
	id := regs.Read32(RegDeviceID)
	if id == 0 {
		return nil, ErrNoDevice
	}
	if v := regs.Read32(RegVersion); v != 2 {
		return nil, fmt.Errorf("%w: virtio-mmio version %d (device %d), want 2", ErrNoDevice, v, id)
	}
	return &Transport{regs: regs, DeviceID: id}, nil
}

// Init resets the device and negotiates features (§3.1.1 steps 1-6): the
// result is want ∩ offered, plus VIRTIO_F_VERSION_1, which the device
// must offer.
func (t *Transport) Init(want uint64) error {
	r := t.regs
	r.Write32(RegStatus, 0)
	r.Write32(RegStatus, StatusAcknowledge)
	r.Write32(RegStatus, StatusAcknowledge|StatusDriver)
	var offered uint64
	for sel := uint32(0); sel < 2; sel++ {
		r.Write32(RegDeviceFeatureSel, sel)
		offered |= uint64(r.Read32(RegDeviceFeatures)) << (32 * sel)
	}
	if offered&FeatureVersion1 == 0 {
		r.Write32(RegStatus, StatusFailed)
		return errors.New("virtio: device does not offer VIRTIO_F_VERSION_1")
	}
	t.Features = offered & (want | FeatureVersion1)
	for sel := uint32(0); sel < 2; sel++ {
		r.Write32(RegDriverFeatureSel, sel)
		r.Write32(RegDriverFeatures, uint32(t.Features>>(32*sel)))
	}
	r.Write32(RegStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK)
	if r.Read32(RegStatus)&StatusFeaturesOK == 0 {
		r.Write32(RegStatus, StatusFailed)
		return errors.New("virtio: device refused the features")
	}
	return nil
}

// QueueMax is the largest size the device accepts for queue index (0:
// the queue does not exist).
func (t *Transport) QueueMax(index int) int {
	t.regs.Write32(RegQueueSel, uint32(index))
	return int(t.regs.Read32(RegQueueNumMax))
}

// SetupQueue gives the device queue q (§4.2.3.2).
func (t *Transport) SetupQueue(q *Queue) error {
	r := t.regs
	r.Write32(RegQueueSel, uint32(q.Index))
	if r.Read32(RegQueueReady) != 0 {
		return fmt.Errorf("virtio: queue %d already in use", q.Index)
	}
	if max := int(r.Read32(RegQueueNumMax)); max < q.Size() {
		return fmt.Errorf("virtio: queue %d: size %d, device allows %d", q.Index, q.Size(), max)
	}
	r.Write32(RegQueueNum, uint32(q.Size()))
	for _, a := range [...]struct {
		low  uintptr
		addr uint64
	}{{RegQueueDescLow, q.DescAddr}, {RegQueueDriverLow, q.AvailAddr}, {RegQueueDeviceLow, q.UsedAddr}} {
		r.Write32(a.low, uint32(a.addr))
		r.Write32(a.low+4, uint32(a.addr>>32))
	}
	r.Write32(RegQueueReady, 1)
	return nil
}

// DriverOK tells the device the driver is ready (§3.1.1 step 8).
func (t *Transport) DriverOK() {
	t.regs.Write32(RegStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK|StatusDriverOK)
}

// Notify tells the device that queue index has new buffers.
func (t *Transport) Notify(index int) { t.regs.Write32(RegQueueNotify, uint32(index)) }

// Config32 reads the 32-bit word at off in the device's configuration
// space, retrying while the device changes it (§4.2.2, ConfigGeneration).
func (t *Transport) Config32(off uintptr) uint32 {
	for {
		gen := t.regs.Read32(RegConfigGeneration)
		v := t.regs.Read32(RegConfig + off)
		if t.regs.Read32(RegConfigGeneration) == gen {
			return v
		}
	}
}

// AckInterrupt reads and acknowledges the interrupt status (for drivers
// that poll; the kernel's interrupt handler does this itself).
func (t *Transport) AckInterrupt() uint32 {
	s := t.regs.Read32(RegInterruptStatus)
	if s != 0 {
		t.regs.Write32(RegInterruptACK, s)
	}
	return s
}
