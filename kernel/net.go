package kernel

import (
	"oyako/kernel/virtio"
)

// StartNet starts the driver of the virtio network device QEMU gives
// microvm (-device virtio-net-device), if there is one: nil without a
// device, so a boot without a network pays only the probe of the
// transports. The caller connects the driver to the network stack.
func StartNet() (*virtio.Net, error) {
	t, slot, ok := findVirtio(virtio.DeviceNet)
	if !ok {
		return nil, nil
	}
	var dev *virtio.Net
	ready := make(chan struct{})
	if err := bindVirtioIRQ(slot, "virtio net", ready, func() { dev.Interrupt() }); err != nil {
		return nil, err
	}
	dev, err := virtio.NewNet(t, frameMemory{})
	if err != nil {
		return nil, err
	}
	close(ready)
	return dev, nil
}
