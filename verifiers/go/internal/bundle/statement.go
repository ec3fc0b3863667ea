package bundle

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// The in-toto statement type and the predicate types a bundle relies on.
const (
	StatementV1        = "https://in-toto.io/Statement/v1"
	KeyRegistration    = "https://lineage.dev/KeyRegistration/v1"
	KeyRevocation      = "https://lineage.dev/KeyRevocation/v1"
	LineageV1          = "https://lineage.dev/Lineage/v1"
	LineageV2          = "https://lineage.dev/Lineage/v2"
	RequestV1          = "https://lineage.dev/Request/v1"
	RequestV2          = "https://lineage.dev/Request/v2"
	Erasure            = "https://lineage.dev/Erasure/v1"
	PolicyRegistration = "https://lineage.dev/PolicyRegistration/v1"
	AdminStep          = "lineage.admin"
)

// statement is the part of an in-toto Statement v1 the checks read.
type statement struct {
	predicateType string
	predicate     map[string]any
	step          string
	time          time.Time
	registration  *registration // for a KeyRegistration
	revocation    *revocation   // for a KeyRevocation
	payload       *payload      // for a Lineage/v1 or Request/v1 statement
}

// payload is what a Lineage/v1 statement (predicate.nodes, predicate.edges) or a
// Request/v1 statement (predicate.requests) holds inline.
type payload struct {
	nodes    []node
	edges    []edge
	requests []request
}

type registration struct {
	keyID      string
	public     ed25519.PublicKey
	steps      []string
	validFrom  time.Time
	validUntil *time.Time
}

type revocation struct {
	keyID     string
	revokedAt time.Time
}

// keyID is the hex SHA-256 of a raw Ed25519 public key.
func keyID(public ed25519.PublicKey) string {
	sum := sha256.Sum256(public)
	return hex.EncodeToString(sum[:])
}

// parseStatement reads a DSSE payload: an in-toto Statement v1 in RFC 8785 form,
// and for a key statement its predicate.
func parseStatement(payload []byte) (*statement, error) {
	v, err := parseCanonical(payload)
	if err != nil {
		return nil, fmt.Errorf("the payload is %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the payload is not a JSON object")
	}
	if m["_type"] != StatementV1 {
		return nil, fmt.Errorf("_type is not %q", StatementV1)
	}
	if _, ok := m["subject"].([]any); !ok {
		return nil, errors.New("subject is not an array")
	}
	var s statement
	if s.predicateType, ok = m["predicateType"].(string); !ok {
		return nil, errors.New("predicateType is not a string")
	}
	if s.predicate, ok = m["predicate"].(map[string]any); !ok {
		return nil, errors.New("predicate is not an object")
	}
	step, ok := s.predicate["step"].(map[string]any)
	if !ok {
		return nil, errors.New("predicate.step is not an object")
	}
	if s.step, ok = step["name"].(string); !ok || s.step == "" {
		return nil, errors.New("predicate.step.name is not a non-empty string")
	}
	if s.time, err = timeMember(s.predicate, "time"); err != nil {
		return nil, err
	}
	switch s.predicateType {
	case KeyRegistration:
		s.registration, err = parseRegistration(s.predicate)
	case KeyRevocation:
		s.revocation, err = parseRevocation(s.predicate)
	case LineageV1, RequestV1:
		s.payload, err = parsePayload(s.predicateType, s.predicate)
	}
	if err != nil {
		return nil, err
	}
	return &s, nil
}

func parseRegistration(p map[string]any) (*registration, error) {
	var r registration
	var ok bool
	if r.keyID, ok = p["keyid"].(string); !ok {
		return nil, errors.New("predicate.keyid is not a string")
	}
	text, ok := p["publicKey"].(string)
	if !ok {
		return nil, errors.New("predicate.publicKey is not a string")
	}
	raw, err := decodeBase64(text)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("predicate.publicKey is not a base64 Ed25519 public key")
	}
	r.public = ed25519.PublicKey(raw)
	if keyID(r.public) != r.keyID {
		return nil, errors.New("predicate.keyid is not the key id of predicate.publicKey")
	}
	steps, ok := p["steps"].([]any)
	if !ok {
		return nil, errors.New("predicate.steps is not an array")
	}
	for _, s := range steps {
		name, ok := s.(string)
		if !ok {
			return nil, errors.New("predicate.steps holds a non-string")
		}
		r.steps = append(r.steps, name)
	}
	if r.validFrom, err = timeMember(p, "validFrom"); err != nil {
		return nil, err
	}
	if _, present := p["validUntil"]; present {
		until, err := timeMember(p, "validUntil")
		if err != nil {
			return nil, err
		}
		r.validUntil = &until
	}
	return &r, nil
}

func parseRevocation(p map[string]any) (*revocation, error) {
	var r revocation
	var ok bool
	var err error
	if r.keyID, ok = p["keyid"].(string); !ok {
		return nil, errors.New("predicate.keyid is not a string")
	}
	if r.revokedAt, err = timeMember(p, "revokedAt"); err != nil {
		return nil, err
	}
	return &r, nil
}

// parsePayload reads the items a Lineage/v1 statement (predicate.nodes and
// predicate.edges) or a Request/v1 statement (predicate.requests) holds: each member,
// when present, a list of items of the shape of the batch items of its section.
func parsePayload(predicateType string, p map[string]any) (*payload, error) {
	var out payload
	sections := []string{"nodes", "edges"}
	if predicateType == RequestV1 {
		sections = []string{"requests"}
	}
	for _, section := range sections {
		raw, present := p[section]
		if !present {
			continue
		}
		list, ok := raw.([]any)
		if !ok {
			return nil, fmt.Errorf("predicate.%s is not an array", section)
		}
		for i, v := range list {
			var err error
			switch section {
			case "nodes":
				var n node
				n, err = nodeItem(v)
				out.nodes = append(out.nodes, n)
			case "edges":
				var e edge
				e, err = edgeItem(v)
				out.edges = append(out.edges, e)
			case "requests":
				var r request
				r, err = requestItem(v)
				out.requests = append(out.requests, r)
			}
			if err != nil {
				return nil, fmt.Errorf("predicate.%s[%d] is not %s: %v", section, i, map[string]string{"nodes": "a node", "edges": "an edge", "requests": "a request"}[section], err)
			}
		}
	}
	return &out, nil
}

// timeMember reads an RFC 3339 time of the predicate.
func timeMember(p map[string]any, name string) (time.Time, error) {
	text, ok := p[name].(string)
	if !ok {
		return time.Time{}, fmt.Errorf("predicate.%s is not a string", name)
	}
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("predicate.%s %s is not an RFC 3339 time", name, show(text))
	}
	return t, nil
}
