package inet

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// ErrnoOf turns a netstack error into the errno Linux returns in its
// place. ErrClosedForReceive has no errno: a read past the peer's FIN is
// end of file, which the callers handle before they get here.
func ErrnoOf(err tcpip.Error) error {
	switch err.(type) {
	case nil:
		return nil
	case *tcpip.ErrWouldBlock, *tcpip.ErrNoPortAvailable:
		return linuxerr.EAGAIN
	case *tcpip.ErrConnectStarted:
		return linuxerr.EINPROGRESS
	case *tcpip.ErrAlreadyConnecting:
		return linuxerr.EALREADY
	case *tcpip.ErrAlreadyConnected:
		return linuxerr.EISCONN
	case *tcpip.ErrNotConnected:
		return linuxerr.ENOTCONN
	case *tcpip.ErrConnectionRefused:
		return linuxerr.ECONNREFUSED
	case *tcpip.ErrConnectionReset:
		return linuxerr.ECONNRESET
	case *tcpip.ErrConnectionAborted:
		return linuxerr.ECONNABORTED
	case *tcpip.ErrTimeout:
		return linuxerr.ETIMEDOUT
	case *tcpip.ErrClosedForSend, *tcpip.ErrAborted:
		return linuxerr.EPIPE
	case *tcpip.ErrPortInUse:
		return linuxerr.EADDRINUSE
	case *tcpip.ErrBadLocalAddress:
		return linuxerr.EADDRNOTAVAIL
	case *tcpip.ErrDestinationRequired:
		return linuxerr.EDESTADDRREQ
	case *tcpip.ErrNetworkUnreachable, *tcpip.ErrNoNet:
		return linuxerr.ENETUNREACH
	case *tcpip.ErrHostUnreachable:
		return linuxerr.EHOSTUNREACH
	case *tcpip.ErrHostDown:
		return linuxerr.EHOSTDOWN
	case *tcpip.ErrMessageTooLong:
		return linuxerr.EMSGSIZE
	case *tcpip.ErrNoBufferSpace:
		return linuxerr.ENOBUFS
	case *tcpip.ErrBroadcastDisabled:
		return linuxerr.EACCES
	case *tcpip.ErrNotPermitted:
		return linuxerr.EPERM
	case *tcpip.ErrAddressFamilyNotSupported:
		return linuxerr.EAFNOSUPPORT
	case *tcpip.ErrBadAddress, *tcpip.ErrBadBuffer:
		return linuxerr.EFAULT
	case *tcpip.ErrNotSupported:
		return linuxerr.EOPNOTSUPP
	case *tcpip.ErrUnknownProtocolOption:
		return linuxerr.ENOPROTOOPT
	case *tcpip.ErrQueueSizeNotSupported:
		return linuxerr.ENOTTY
	case *tcpip.ErrUnknownNICID, *tcpip.ErrUnknownDevice:
		return linuxerr.ENODEV
	case *tcpip.ErrDuplicateNICID, *tcpip.ErrDuplicateAddress:
		return linuxerr.EEXIST
	case *tcpip.ErrNoSuchFile:
		return linuxerr.ENOENT
	case *tcpip.ErrEndpointBusy:
		return linuxerr.EBUSY
	default:
		// ErrAlreadyBound, ErrInvalidEndpointState, ErrInvalidOptionValue,
		// ErrUnknownProtocol, ErrMalformedHeader and the rest.
		return linuxerr.EINVAL
	}
}
