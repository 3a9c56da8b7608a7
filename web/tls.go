package web

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
)

// hstsValue is the Strict-Transport-Security header of every response
// served over TLS: browsers keep to HTTPS for this host for a year. It does
// not include subdomains, which this server does not own.
const hstsValue = "max-age=31536000"

// LoadTLSConfig reads a PEM certificate chain and its private key and
// returns the server's TLS settings for them: TLS 1.2 at least, crypto/tls's
// default cipher suites and curves (for TLS 1.2: ECDHE key exchange only,
// AEAD suites preferred, no RSA key exchange, RC4 or 3DES), HTTP/1.1 only. A file that cannot be read, a key that
// does not match, or a leaf certificate outside its validity period is an
// error naming the problem.
func LoadTLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("parse TLS certificate %s: %w", certFile, err)
	}
	now := time.Now()
	switch {
	case now.After(leaf.NotAfter):
		return nil, fmt.Errorf("TLS certificate %s expired on %s", certFile, leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return nil, fmt.Errorf("TLS certificate %s is not valid before %s", certFile, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	cert.Leaf = leaf
	return TLSConfig(cert), nil
}

// TLSConfig returns the server's TLS settings for cert (see LoadTLSConfig).
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
}

// setHSTS adds the Strict-Transport-Security header; routes installs it
// when the server speaks TLS.
func setHSTS(c *fiber.Ctx) error {
	c.Set(fiber.HeaderStrictTransportSecurity, hstsValue)
	return c.Next()
}
