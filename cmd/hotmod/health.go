package main

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
)

// natsHealth says whether the fleet's NATS server is reachable, from the
// connection's own state: no request, so /healthz and every fleet request
// can ask at no cost to NATS. The client learns of a server that stopped
// or restarted at once (the TCP connection ends); of a silent network, only
// when its pings go unanswered.
func natsHealth(nc *nats.Conn) func() error {
	return func() error {
		st := nc.Status()
		if st == nats.CONNECTED {
			return nil
		}
		msg := "NATS is unreachable (" + strings.ToLower(st.String()) + ")"
		if err := nc.LastError(); err != nil {
			return fmt.Errorf("%s: %w", msg, err)
		}
		return fmt.Errorf("%s", msg)
	}
}
