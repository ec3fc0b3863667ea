package bundle

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// algEd25519 is the signed-note signature type of Ed25519 keys.
const algEd25519 = 0x01

// logKey is the log's verifier key: it verifies checkpoints, and its Ed25519 public
// key is the log's admin key.
type logKey struct {
	text     string
	verifier note.Verifier
	admin    ed25519.PublicKey
}

// parseLogKey reads a C2SP signed-note Ed25519 verifier key, name+hash+base64(0x01 || key).
func parseLogKey(vkey string) (*logKey, error) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("malformed verifier key")
	}
	raw, err := decodeBase64(parts[2])
	if err != nil {
		return nil, err
	}
	if len(raw) != 1+ed25519.PublicKeySize || raw[0] != algEd25519 {
		return nil, fmt.Errorf("not an Ed25519 verifier key (type %#x, %d bytes)", raw[0], len(raw))
	}
	return &logKey{text: vkey, verifier: verifier, admin: ed25519.PublicKey(raw[1:])}, nil
}

// checkLogKey is check 1: the key a recipient holds, if any, is the bundle's, and it
// is a verifier key at all.
func checkLogKey(b *Bundle, opts Options) (*logKey, *Failure) {
	if opts.LogKey != "" && opts.LogKey != b.Log.VerifierKey {
		return nil, atLog(ClassVerifierKey, "--log-key %s is not the bundle's log.verifierKey %s",
			show(opts.LogKey), show(b.Log.VerifierKey))
	}
	key, err := parseLogKey(b.Log.VerifierKey)
	if err != nil {
		return nil, atLog(ClassVerifierKey, "log.verifierKey is not a signed-note Ed25519 verifier key: %v", err)
	}
	return key, nil
}
