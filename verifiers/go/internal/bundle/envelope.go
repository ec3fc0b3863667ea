package bundle

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
)

// PayloadTypeInToto is the only DSSE payload type of a log entry.
const PayloadTypeInToto = "application/vnd.in-toto+json"

// envelope is a DSSE envelope (v1) with exactly one signature.
type envelope struct {
	payloadType string
	payload     []byte
	keyID       string
	sig         []byte
}

// parseEnvelope reads an entry's bytes: a DSSE envelope in RFC 8785 form.
func parseEnvelope(data []byte) (*envelope, error) {
	v, err := parseCanonical(data)
	if err != nil {
		return nil, fmt.Errorf("the envelope is %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the envelope is not a JSON object")
	}
	if err := onlyMembers(m, "the envelope", "payload", "payloadType", "signatures"); err != nil {
		return nil, err
	}
	var e envelope
	if e.payloadType, ok = m["payloadType"].(string); !ok || e.payloadType != PayloadTypeInToto {
		return nil, fmt.Errorf("payloadType is not %q", PayloadTypeInToto)
	}
	payload, ok := m["payload"].(string)
	if !ok {
		return nil, errors.New("payload is not a string")
	}
	if e.payload, err = decodeBase64(payload); err != nil {
		return nil, fmt.Errorf("payload: %v", err)
	}
	sigs, ok := m["signatures"].([]any)
	if !ok || len(sigs) != 1 {
		return nil, errors.New("signatures does not hold exactly one signature")
	}
	sig, ok := sigs[0].(map[string]any)
	if !ok {
		return nil, errors.New("signatures[0] is not an object")
	}
	if err := onlyMembers(sig, "signatures[0]", "keyid", "sig"); err != nil {
		return nil, err
	}
	if e.keyID, ok = sig["keyid"].(string); !ok || e.keyID == "" {
		return nil, errors.New("signatures[0].keyid is not a non-empty string")
	}
	sigText, ok := sig["sig"].(string)
	if !ok {
		return nil, errors.New("signatures[0].sig is not a string")
	}
	if e.sig, err = decodeBase64(sigText); err != nil {
		return nil, fmt.Errorf("signatures[0].sig: %v", err)
	}
	if len(e.sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("signatures[0].sig has %d bytes, an Ed25519 signature %d", len(e.sig), ed25519.SignatureSize)
	}
	return &e, nil
}

// pae is the DSSE v1 pre-authentication encoding: the bytes the signature covers.
func pae(payloadType string, payload []byte) []byte {
	out := []byte("DSSEv1 ")
	out = strconv.AppendInt(out, int64(len(payloadType)), 10)
	out = append(out, ' ')
	out = append(out, payloadType...)
	out = append(out, ' ')
	out = strconv.AppendInt(out, int64(len(payload)), 10)
	out = append(out, ' ')
	return append(out, payload...)
}

// verify says whether the envelope's signature verifies under public.
func (e *envelope) verify(public ed25519.PublicKey) bool {
	return ed25519.Verify(public, pae(e.payloadType, e.payload), e.sig)
}

// onlyMembers refuses members other than the names given, and missing ones.
func onlyMembers(m map[string]any, what string, names ...string) error {
	for _, name := range names {
		if _, ok := m[name]; !ok {
			return fmt.Errorf("%s has no %s", what, name)
		}
	}
	if len(m) != len(names) {
		return fmt.Errorf("%s has members other than %v", what, names)
	}
	return nil
}
