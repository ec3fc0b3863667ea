package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// algCosignatureV1 is the signed-note signature type of Ed25519 cosignature/v1
// keys (c2sp.org/tlog-cosignature).
const algCosignatureV1 = 0x04

// witness is a cosigner the user trusts: its vkey's name, key ID and Ed25519 key.
type witness struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

// parseWitnessKey reads a vkey name+hash+base64(0x04 || 32-byte Ed25519 key), whose
// hash must be the key ID SHA-256(name || "\n" || 0x04 || key)[:4].
func parseWitnessKey(vkey string) (*witness, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || !validName(name) || len(hash16) != 8 {
		return nil, errors.New("malformed verifier key (want name+hash+base64)")
	}
	hash, err := strconv.ParseUint(hash16, 16, 32)
	if err != nil {
		return nil, errors.New("malformed verifier key: the key ID is not 8 hex digits")
	}
	raw, err := base64.StdEncoding.DecodeString(key64)
	if err != nil {
		return nil, errors.New("malformed verifier key: the key is not base64")
	}
	if len(raw) != 1+ed25519.PublicKeySize || raw[0] != algCosignatureV1 {
		return nil, errors.New("not an Ed25519 cosignature/v1 verifier key (type 0x04 and 32 bytes)")
	}
	if uint32(hash) != keyID(name, raw) {
		return nil, errors.New("the key ID does not match the name and key")
	}
	return &witness{name: name, hash: uint32(hash), key: ed25519.PublicKey(raw[1:])}, nil
}

// keyID is SHA-256(name || "\n" || typed key)[:4], big-endian.
func keyID(name string, typedKey []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(typedKey)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// validName is a signed-note key name: non-empty UTF-8 without spaces or '+'.
func validName(name string) bool {
	return name != "" && utf8.ValidString(name) &&
		strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// verifies reports whether a note signature (base64 of key ID || timestamp ||
// Ed25519 signature) is w's cosignature/v1 of the note text.
func (w *witness) verifies(sig note.Signature, text string) bool {
	if sig.Name != w.name || sig.Hash != w.hash {
		return false
	}
	blob, err := base64.StdEncoding.DecodeString(sig.Base64)
	if err != nil || len(blob) != 4+8+ed25519.SignatureSize || binary.BigEndian.Uint32(blob) != w.hash {
		return false
	}
	ts := binary.BigEndian.Uint64(blob[4:12])
	if ts > math.MaxInt64 {
		return false
	}
	msg := "cosignature/v1\ntime " + strconv.FormatUint(ts, 10) + "\n" + text
	return ed25519.Verify(w.key, []byte(msg), blob[12:])
}

// witnessTally is what the cosignatures of a checkpoint show.
type witnessTally struct {
	valid   []string // the witnesses with a valid cosignature, in -witness order
	invalid []string // the witnesses with a cosignature line that does not verify
}

// tallyCosignatures counts, among the note's signatures the log key did not
// verify, the witnesses with at least one valid cosignature/v1 of the note's text.
// A line with a witness's name and key ID that does not verify is not counted.
func tallyCosignatures(n *note.Note, witnesses []*witness) witnessTally {
	var t witnessTally
	for _, w := range witnesses {
		ok, seen := false, false
		for _, sig := range n.UnverifiedSigs {
			if sig.Name != w.name || sig.Hash != w.hash {
				continue
			}
			seen = true
			if w.verifies(sig, n.Text) {
				ok = true
				break
			}
		}
		switch {
		case ok:
			t.valid = append(t.valid, w.name)
		case seen:
			t.invalid = append(t.invalid, w.name)
		}
	}
	return t
}

// checkQuorum fails unless at least quorum distinct witnesses cosigned.
func checkQuorum(t witnessTally, quorum int) error {
	if len(t.valid) >= quorum {
		return nil
	}
	msg := fmt.Sprintf("%d of %d required cosignatures", len(t.valid), quorum)
	if len(t.valid) > 0 {
		msg += " (valid: " + quoteAll(t.valid) + ")"
	}
	if len(t.invalid) > 0 {
		msg += "; not counted, not verifying: " + quoteAll(t.invalid)
	}
	return errors.New(msg)
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
