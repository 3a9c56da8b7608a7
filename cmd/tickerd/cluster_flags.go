package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"time"
)

// Roles of -role.
const (
	roleAll  = "all"
	roleCore = "core"
	roleEdge = "edge"
)

const defaultClusterName = "tickerd"

// clusterConfig is what the cluster flags set.
type clusterConfig struct {
	Role       string
	NATSURL    string
	NATSListen string
	CoreURL    string
	Name       string
	EdgeLinger time.Duration // how long an edge keeps receiving a symbol no stream holds
	// LingerSet is true when -edge-linger (or its environment variable)
	// was given, which only an edge may do.
	LingerSet bool
}

// clusterName is one NATS subject token: no dots, spaces or wildcards.
var clusterName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// validate checks the cluster flags against the role, naming the flag
// that is missing or wrong.
func (cl clusterConfig) validate(c config) error {
	switch cl.Role {
	case roleAll:
		for flag, v := range map[string]string{"-nats-url": cl.NATSURL, "-nats-listen": cl.NATSListen, "-core-url": cl.CoreURL} {
			if v != "" {
				return fmt.Errorf("%s needs -role core or -role edge (the default -role all runs one process without NATS)", flag)
			}
		}
		if cl.LingerSet {
			return errors.New("-edge-linger is for -role edge (the default -role all receives every tick from its own market)")
		}
		return nil
	case roleCore, roleEdge:
	default:
		return fmt.Errorf("-role must be all, core or edge, not %q", cl.Role)
	}
	if !clusterName.MatchString(cl.Name) {
		return fmt.Errorf("-cluster-name must be 1 to 64 letters, digits, '-' or '_', not %q", cl.Name)
	}
	if cl.NATSListen != "" {
		if cl.Role != roleCore {
			return errors.New("-nats-listen is for -role core; an edge joins the core's NATS with -nats-url")
		}
		if _, _, err := net.SplitHostPort(cl.NATSListen); err != nil {
			return fmt.Errorf("-nats-listen: %w", err)
		}
	}
	if cl.Role == roleCore {
		if cl.NATSURL == "" && cl.NATSListen == "" {
			return errors.New("-role core needs -nats-url (a NATS server to join) or -nats-listen (run one in this process)")
		}
		if cl.CoreURL != "" {
			return errors.New("-core-url is for -role edge")
		}
		if cl.LingerSet {
			return errors.New("-edge-linger is for -role edge (a core receives every tick from its own market)")
		}
		return nil
	}
	if cl.NATSURL == "" {
		return errors.New("-role edge needs -nats-url, the NATS server the core publishes to (e.g. nats://127.0.0.1:4222)")
	}
	if cl.EdgeLinger <= 0 {
		return fmt.Errorf("-edge-linger must be positive, not %s", cl.EdgeLinger)
	}
	if cl.CoreURL == "" {
		return errors.New("-role edge needs -core-url, the core's HTTP address (e.g. http://127.0.0.1:8080)")
	}
	u, err := url.Parse(cl.CoreURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("-core-url must be http://host:port or https://host:port, not %q", cl.CoreURL)
	}
	if c.Demo {
		return errors.New("-demo needs the database: give it to the core, not an edge")
	}
	return nil
}
