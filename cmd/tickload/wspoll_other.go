//go:build !linux

package main

import (
	"context"
	"errors"
	"time"

	"github.com/fasthttp/websocket"
)

// Elsewhere than Linux, ws clients always read with a goroutine each.

const epollSupported = false

type wsPoller struct{}

func newWSPoller(context.Context, int, time.Duration) (*wsPoller, error) {
	return nil, errors.New("the epoll reader needs Linux")
}

func (p *wsPoller) wait() {}

func (e *env) handoff(*websocket.Conn, *countingConn, int, *clientStats) bool { return false }
