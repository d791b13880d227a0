package inet

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

// IfIoctl answers the interface requests every socket takes
// (sock_ioctl → dev_ioctl). None yet: ENOTTY, as for an unknown request.
func IfIoctl(c fs.Ctx, cmd uint32, arg uintptr) (uintptr, error) {
	return 0, linuxerr.ENOTTY
}
