package netlink

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/abi/linux"
)

// Netlink messages as include/uapi/linux/netlink.h lays them out: a
// struct nlmsghdr, the family's fixed header, then attributes (struct
// nlattr: length, type, value), each padded to 4 bytes.

// align rounds n up to NLMSG_ALIGNTO (and NLA_ALIGNTO, also 4).
func align(n int) int { return (n + 3) &^ 3 }

// header is a struct nlmsghdr.
type header struct {
	Len   uint32
	Type  uint16
	Flags uint16
	Seq   uint32
	PID   uint32
}

const headerLen = linux.NetlinkMessageHeaderSize

func (h header) put(b []byte) {
	binary.LittleEndian.PutUint32(b, h.Len)
	binary.LittleEndian.PutUint16(b[4:], h.Type)
	binary.LittleEndian.PutUint16(b[6:], h.Flags)
	binary.LittleEndian.PutUint32(b[8:], h.Seq)
	binary.LittleEndian.PutUint32(b[12:], h.PID)
}

func parseHeader(b []byte) header {
	return header{
		Len:   binary.LittleEndian.Uint32(b),
		Type:  binary.LittleEndian.Uint16(b[4:]),
		Flags: binary.LittleEndian.Uint16(b[6:]),
		Seq:   binary.LittleEndian.Uint32(b[8:]),
		PID:   binary.LittleEndian.Uint32(b[12:]),
	}
}

// message builds one netlink message.
type message struct{ b []byte }

// newMessage starts a message with its header (the length is set by
// bytes) and the family header fixed.
func newMessage(typ, flags uint16, seq, pid uint32, fixed []byte) *message {
	m := &message{b: make([]byte, headerLen, 256)}
	header{Type: typ, Flags: flags, Seq: seq, PID: pid}.put(m.b)
	m.b = append(m.b, fixed...)
	m.pad()
	return m
}

func (m *message) pad() {
	for len(m.b)%4 != 0 {
		m.b = append(m.b, 0)
	}
}

// attr appends an attribute (nla_put).
func (m *message) attr(typ uint16, v []byte) {
	var h [4]byte
	binary.LittleEndian.PutUint16(h[:], uint16(4+len(v)))
	binary.LittleEndian.PutUint16(h[2:], typ)
	m.b = append(m.b, h[:]...)
	m.b = append(m.b, v...)
	m.pad()
}

func (m *message) u8(typ uint16, v uint8) { m.attr(typ, []byte{v}) }

func (m *message) u32(typ uint16, v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	m.attr(typ, b[:])
}

// str appends a NUL-terminated string (nla_put_string).
func (m *message) str(typ uint16, s string) { m.attr(typ, append([]byte(s), 0)) }

// bytes finishes the message: nlmsg_len covers it all, padding included
// (nlmsg_end).
func (m *message) bytes() []byte {
	binary.LittleEndian.PutUint32(m.b, uint32(len(m.b)))
	return m.b
}

// errorMessage is netlink_ack's NLMSG_ERROR for request req (its
// header's seq, to port pid): error 0 acknowledges and carries only the
// request's header (NLM_F_CAPPED); an error carries the whole request,
// unless capped (NETLINK_CAP_ACK).
func errorMessage(req []byte, errno int32, pid uint32, capAck bool) []byte {
	h := parseHeader(req)
	var flags uint16
	echo := req[:headerLen]
	if errno != 0 && !capAck {
		echo = req[:min(int(h.Len), len(req))]
	} else {
		flags = nlmCapped
	}
	body := make([]byte, 4, 4+len(echo))
	binary.LittleEndian.PutUint32(body, uint32(-errno))
	body = append(body, echo...)
	return newMessage(linux.NLMSG_ERROR, flags, h.Seq, pid, body).bytes()
}

// doneMessage ends a dump (NLMSG_DONE, whose payload is the dump's
// error, 0).
func doneMessage(seq, pid uint32) []byte {
	return newMessage(linux.NLMSG_DONE, linux.NLM_F_MULTI, seq, pid, make([]byte, 4)).bytes()
}

// Flags of NLMSG_ERROR messages (include/uapi/linux/netlink.h).
const (
	nlmCapped = 0x100 // NLM_F_CAPPED: the request is cut to its header
)
