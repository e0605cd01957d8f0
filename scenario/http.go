package scenario

import "go.yaml.in/yaml/v3"

// TLS is the scenario's `tls:` section: a client certificate for mutual
// TLS, the certificate authorities to trust, and session resumption.
type TLS struct {
	Pos
	// Cert and Key are PEM files of a client certificate and its key
	// (relative to the scenario file); both or neither.
	Cert, Key string
	// CA is a PEM file of the authorities that sign the target's
	// certificate, trusted instead of the system's.
	CA string
	// FullHandshakes turns session resumption off: every new connection
	// makes a full handshake.
	FullHandshakes bool
}

// tls reads the `tls:` section.
func (p *parser) tls(n *yaml.Node) *TLS {
	f, ok := p.mapping(n, "tls", "tls")
	if !ok {
		return nil
	}
	t := &TLS{Pos: p.pos(f.node)}
	if v := f.get("cert"); v != nil {
		t.Cert, _ = p.nonEmpty(v, "cert")
	}
	if v := f.get("key"); v != nil {
		t.Key, _ = p.nonEmpty(v, "key")
	}
	if v := f.get("ca"); v != nil {
		t.CA, _ = p.nonEmpty(v, "ca")
	}
	if v := f.get("full_handshakes"); v != nil {
		t.FullHandshakes, _ = p.boolean(v, "full_handshakes")
	}
	if (t.Cert == "") != (t.Key == "") {
		p.errorf(f.node, "tls: a client certificate needs both cert and key")
	}
	return t
}
