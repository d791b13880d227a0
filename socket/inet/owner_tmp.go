package inet

import "gvisor.dev/gvisor/pkg/tcpip"

// endpointOwner is the inode and owner of the socket file that holds ep.
func endpointOwner(ep tcpip.Endpoint) (ino uint64, uid uint32) { return 0, 0 }
