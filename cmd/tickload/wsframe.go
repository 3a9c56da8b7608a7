package main

import (
	"encoding/binary"
	"errors"
)

// A minimal client side of RFC 6455 framing, for the epoll reader: it parses
// what a server sends (unmasked frames, no extensions) from a byte stream
// that arrives in arbitrary pieces, and builds the masked control frames a
// client sends back. Payloads handed to a frameSink alias the reader's
// buffers and are only valid during the call.

// WebSocket opcodes (RFC 6455 section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// closeNoStatus is the code reported for a close frame without one (RFC 6455
// section 7.1.5), as the WebSocket client library reports it too.
const closeNoStatus = 1005

// maxMessage bounds a frame and a reassembled message, so a broken stream
// cannot make the tool allocate without limit.
const maxMessage = 1 << 20

var errFrame = errors.New("websocket: protocol violation in a server frame")

// frameHeader is a parsed frame header.
type frameHeader struct {
	fin bool
	op  byte
	hdr int // header length on the wire
	len int // payload length
}

// parseHeader parses the header of the frame at the start of b. ok is false
// when b holds less than the whole header. Masked frames, reserved bits (no
// extension is negotiated), unknown opcodes, fragmented or long control frames
// and frames over maxMessage are errors.
func parseHeader(b []byte) (h frameHeader, ok bool, err error) {
	if len(b) < 2 {
		return h, false, nil
	}
	if b[0]&0x70 != 0 || b[1]&0x80 != 0 {
		return h, false, errFrame
	}
	h.fin = b[0]&0x80 != 0
	h.op = b[0] & 0x0f
	n := uint64(b[1] & 0x7f)
	h.hdr = 2
	switch n {
	case 126:
		if len(b) < 4 {
			return h, false, nil
		}
		n, h.hdr = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return h, false, nil
		}
		n, h.hdr = binary.BigEndian.Uint64(b[2:]), 10
	}
	if n > maxMessage {
		return h, false, errFrame
	}
	h.len = int(n)
	switch h.op {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		if !h.fin || h.len > 125 {
			return h, false, errFrame
		}
	default:
		return h, false, errFrame
	}
	return h, true, nil
}

// frameSink receives what a frameReader finds.
type frameSink interface {
	message(op byte, payload []byte) // a whole text or binary message
	ping(payload []byte)
	closed(code int) // the server's close frame; closeNoStatus when it has no code
}

// frameReader reassembles messages from a server's byte stream. The zero
// value is ready; one reader serves one connection.
type frameReader struct {
	carry []byte // an incomplete frame left over from the last feed
	msg   []byte // payload of a fragmented message so far
	msgOp byte   // its opcode; 0 while no fragmented message is open
}

// feed consumes the next bytes of the stream, calling s for every complete
// message, ping and close. It stops at a close frame (closed is true; later
// bytes are ignored) or at a protocol violation.
func (r *frameReader) feed(data []byte, s frameSink) (closed bool, err error) {
	b := data
	if len(r.carry) > 0 {
		r.carry = append(r.carry, data...)
		b = r.carry
	}
	for {
		h, ok, err := parseHeader(b)
		if err != nil {
			return false, err
		}
		if !ok || len(b)-h.hdr < h.len {
			break
		}
		p := b[h.hdr : h.hdr+h.len]
		b = b[h.hdr+h.len:]
		switch h.op {
		case opPing:
			s.ping(p)
		case opPong:
		case opClose:
			code := closeNoStatus
			switch {
			case len(p) == 1:
				return false, errFrame
			case len(p) >= 2:
				code = int(binary.BigEndian.Uint16(p))
			}
			s.closed(code)
			r.carry = r.carry[:0]
			return true, nil
		case opContinuation:
			if r.msgOp == 0 || len(r.msg)+len(p) > maxMessage {
				return false, errFrame
			}
			r.msg = append(r.msg, p...)
			if h.fin {
				s.message(r.msgOp, r.msg)
				r.msgOp, r.msg = 0, r.msg[:0]
			}
		default: // text or binary
			if r.msgOp != 0 {
				return false, errFrame
			}
			if h.fin {
				s.message(h.op, p)
			} else {
				r.msgOp, r.msg = h.op, append(r.msg[:0], p...)
			}
		}
	}
	// Keep the incomplete rest (b may alias carry: append moves it safely).
	r.carry = append(r.carry[:0], b...)
	if cap(r.carry) > 64<<10 && len(r.carry) < 4<<10 {
		r.carry = append([]byte(nil), r.carry...) // give back a big frame's buffer
	}
	return false, nil
}

// appendClientFrame appends a final, masked client frame with the given
// opcode and payload (at most 125 bytes: control frames only).
func appendClientFrame(dst []byte, op byte, payload []byte, key uint32) []byte {
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], key)
	dst = append(dst, 0x80|op, 0x80|byte(len(payload)))
	dst = append(dst, k[:]...)
	for i, c := range payload {
		dst = append(dst, c^k[i&3])
	}
	return dst
}

// closePayload is the payload of a close frame carrying code; empty for
// closeNoStatus, which must not be sent on the wire.
func closePayload(code int) []byte {
	if code == closeNoStatus {
		return nil
	}
	return binary.BigEndian.AppendUint16(nil, uint16(code))
}
