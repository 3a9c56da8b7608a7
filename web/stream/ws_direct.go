package stream

import (
	"net"
	"syscall"
	"time"
	"unsafe"
)

// Direct writes. Most quotes reach a connection whose writer is idle: the
// client keeps up, and its socket has room. Starting a writer goroutine for
// each of them cost a goroutine start, a scheduling round and often a
// thread wake-up per frame, a fifth of the server's CPU at 1,000 clients.
// Instead the hub's goroutine that signals a Publish's subscribers runs the
// writer's pass itself (writer.quick) when that pass is only frames: the
// frames go to the socket with a non-blocking write, and whatever the
// socket does not take at once is kept for a writer goroutine, which sends
// it before anything else. Anything that could wait (a close, a portfolio
// valuation, a timed duty) is left to the writer goroutine as before.
// TLS connections have no socket to write to directly and always use the
// goroutine.

// rawConn returns the socket under nc for direct writes, or nil when there
// is none (a TLS connection).
func rawConn(nc net.Conn) syscall.RawConn {
	if u, ok := nc.(interface{ UnsafeConn() net.Conn }); ok { // fasthttp's hijacked connection
		nc = u.UnsafeConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// onPublish is the connection's OnPublish: the hub calls it when a Publish
// made quotes pending. When no writer is running it becomes the writer for
// one quick pass, writing directly; if the pass leaves anything to do (bytes
// the socket did not take, a duty that could wait, a kick during the pass)
// it starts the writer goroutine to do it. Otherwise it does what kick does.
func (c *wsConn) onPublish() {
	if !c.wstate.CompareAndSwap(writerIdle, writerRunning) {
		c.kick()
		return
	}
	done := c.directPass()
	if c.wstate.Load() == writerDone || (done && c.wstate.CompareAndSwap(writerRunning, writerIdle)) {
		return // finished (a panic in the pass), or nothing left to do
	}
	go c.writeRun()
}

// directPass runs the writer's quick pass with direct writes and reports
// whether it did everything that was due. A panic there ends this
// connection, as in writeRun (its writer then is finished), not the hub's
// goroutine.
func (c *wsConn) directPass() (done bool) {
	defer func() {
		if v := recover(); v != nil {
			c.direct = false
			c.writerPanic(v)
		}
	}()
	now := time.Now()
	if !c.armed.IsZero() && !now.Before(c.armed) {
		return false // a timed duty: the writer goroutine re-arms the timer
	}
	c.direct = true
	done = c.w.quick(now)
	c.direct = false
	return done && len(c.rest) == 0 && c.derr == nil
}

// writeDirect writes p without waiting for the socket. What it does not
// take at once goes to c.rest, as does every frame after it in the pass,
// for the writer goroutine to send in order; a failed write is kept in
// c.derr for the writer goroutine to end the connection with. It allocates
// nothing unless the socket is full.
func (c *wsConn) writeDirect(p []byte) error {
	if c.derr != nil {
		return c.derr
	}
	if len(c.rest) == 0 {
		c.sendBuf = p
		err := c.raw.Write(c.sendFn)
		n, errno := c.sent, c.sendErrno
		c.sendBuf = nil
		if err == nil && errno != 0 && errno != syscall.EAGAIN {
			err = errno
		}
		if err != nil {
			c.derr = err
			return err
		}
		p = p[n:]
		if len(p) == 0 {
			return nil
		}
	}
	c.rest = append(c.rest, p...)
	return nil
}

// sendNow is the function c.sendFn, bound once per connection so that a
// direct write allocates no closure: it sends c.sendBuf to the socket fd
// and never asks the runtime to wait for the socket.
func (c *wsConn) sendNow(fd uintptr) bool {
	for {
		c.sent, c.sendErrno = send(fd, c.sendBuf)
		if c.sendErrno != syscall.EINTR {
			return true
		}
	}
}

// send writes p to the socket fd with send(2), not write(2): on a socket
// the two do the same, but write goes through the file layer first (in a
// profile at 1,000 clients, vfs_write and its file lookup were 7 % of the
// server's CPU), and send can be told not to raise SIGPIPE on a closed
// connection. It returns the bytes written; on error, 0.
func send(fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, errno := syscall.Syscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)),
		syscall.MSG_DONTWAIT|syscall.MSG_NOSIGNAL, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}

// sendRest sends what direct writes left, waiting for the socket as any
// writer goroutine's write does, or returns their failure.
func (c *wsConn) sendRest() error {
	if err := c.derr; err != nil {
		return err
	}
	if len(c.rest) == 0 {
		return nil
	}
	err := c.send(c.rest)
	c.rest = nil
	return err
}
