package testbundle

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/gowebpki/jcs"
)

// Predicate types and the admin step.
const (
	KeyRegistration    = "https://lineage.dev/KeyRegistration/v1"
	KeyRevocation      = "https://lineage.dev/KeyRevocation/v1"
	LineageV1          = "https://lineage.dev/Lineage/v1"
	LineageV2          = "https://lineage.dev/Lineage/v2"
	RequestV1          = "https://lineage.dev/Request/v1"
	RequestV2          = "https://lineage.dev/Request/v2"
	Erasure            = "https://lineage.dev/Erasure/v1"
	PolicyRegistration = "https://lineage.dev/PolicyRegistration/v1"
	AdminStep          = "lineage.admin"
	PayloadType        = "application/vnd.in-toto+json"
)

// Canonical is the RFC 8785 encoding of v.
func Canonical(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	out, err := jcs.Transform(bytes.TrimSpace(buf.Bytes()))
	if err != nil {
		panic(err)
	}
	return out
}

// Statement is an in-toto Statement v1 (a map, to be changed by tests).
func Statement(predicateType, step, at string, predicate map[string]any) map[string]any {
	p := map[string]any{"step": map[string]any{"name": step}, "time": at}
	for k, v := range predicate {
		p[k] = v
	}
	return map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "test", "digest": map[string]any{"sha256": fmt.Sprintf("%064x", 0)}}},
		"predicateType": predicateType,
		"predicate":     p,
	}
}

// PAE is the DSSE v1 pre-authentication encoding.
func PAE(payloadType string, payload []byte) []byte {
	return []byte(fmt.Sprintf("DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload))
}

// Envelope is the canonical DSSE envelope of payload signed by k.
func Envelope(payload []byte, k Key) []byte {
	sig := ed25519.Sign(k.Private, PAE(PayloadType, payload))
	return EnvelopeWith(payload, k.ID, sig)
}

// EnvelopeWith is the canonical DSSE envelope of payload with a given signature.
func EnvelopeWith(payload []byte, keyID string, sig []byte) []byte {
	return Canonical(map[string]any{
		"payload":     base64.StdEncoding.EncodeToString(payload),
		"payloadType": PayloadType,
		"signatures":  []any{map[string]any{"keyid": keyID, "sig": base64.StdEncoding.EncodeToString(sig)}},
	})
}

// Sign is the envelope of a statement signed by k.
func Sign(statement map[string]any, k Key) []byte {
	return Envelope(Canonical(statement), k)
}

// Registration is the KeyRegistration statement of k.
func Registration(k Key, steps []string, validFrom, validUntil, at string) map[string]any {
	p := map[string]any{
		"keyid": k.ID, "name": k.Name, "publicKey": k.B64(), "steps": steps, "validFrom": validFrom,
	}
	if validUntil != "" {
		p["validUntil"] = validUntil
	}
	return Statement(KeyRegistration, AdminStep, at, p)
}

// Revocation is the KeyRevocation statement of k.
func Revocation(k Key, revokedAt, at string) map[string]any {
	return Statement(KeyRevocation, AdminStep, at, map[string]any{"keyid": k.ID, "revokedAt": revokedAt})
}

// Envelope parts, for tests that change an entry.
type EnvelopeParts struct {
	Payload []byte
	KeyID   string
	Sig     []byte
}

// OpenEnvelope reads back an envelope made here.
func OpenEnvelope(data []byte) EnvelopeParts {
	var e struct {
		Payload    []byte `json:"payload"`
		Signatures []struct {
			KeyID string `json:"keyid"`
			Sig   []byte `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		panic(err)
	}
	return EnvelopeParts{Payload: e.Payload, KeyID: e.Signatures[0].KeyID, Sig: e.Signatures[0].Sig}
}
