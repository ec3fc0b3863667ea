package bundle

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

// algCosignatureV1 is the signed-note signature type of Ed25519 cosignature/v1 keys
// (c2sp.org/tlog-cosignature).
const algCosignatureV1 = 0x04

// Witness is a cosigner the recipient trusts: its key name, key ID and Ed25519 key.
type Witness struct {
	Name string
	hash uint32
	key  ed25519.PublicKey
}

// ParseWitnessKey reads a witness's verifier key, name+hash+base64(0x04 || 32-byte
// Ed25519 key), whose hash is the key ID SHA-256(name || "\n" || 0x04 || key)[:4].
func ParseWitnessKey(vkey string) (*Witness, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || !validKeyName(name) || len(hash16) != 8 {
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
		return nil, errors.New("not an Ed25519 cosignature/v1 verifier key (type 0x04, 32 bytes)")
	}
	sum := sha256.Sum256(append([]byte(name+"\n"), raw...))
	if binary.BigEndian.Uint32(sum[:4]) != uint32(hash) {
		return nil, errors.New("the key ID does not match the name and key")
	}
	return &Witness{Name: name, hash: uint32(hash), key: ed25519.PublicKey(raw[1:])}, nil
}

// KeyString is the witness's Ed25519 public key as a string, to tell two names with
// one key apart from two witnesses.
func (w *Witness) KeyString() string { return string(w.key) }

// validKeyName is a signed-note key name: non-empty UTF-8 without spaces or '+'.
func validKeyName(name string) bool {
	return name != "" && utf8.ValidString(name) &&
		strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// cosigned reports whether a note signature (base64 of key ID || 8-byte big-endian
// timestamp || Ed25519 signature) is w's cosignature/v1 of the note text: a
// signature over "cosignature/v1\ntime <timestamp>\n" followed by the text.
func (w *Witness) cosigned(sig note.Signature, text string) bool {
	if sig.Name != w.Name || sig.Hash != w.hash {
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

// checkWitnesses is check 2b: with witnesses given, at least opts.Quorum of them
// (distinct names) have a valid cosignature/v1 on the checkpoint. A line with a
// witness's name and key ID that does not verify is not counted (and is named in
// the failure); signatures of other keys are ignored. It returns the names counted.
func checkWitnesses(b *Bundle, opts Options, key *logKey) ([]string, *Failure) {
	if len(opts.Witnesses) == 0 {
		return nil, nil
	}
	n, err := note.Open([]byte(b.Log.Checkpoint), note.VerifierList(key.verifier))
	if err != nil { // check 2 has opened it already
		return nil, atLog(ClassCheckpoint, "the note does not verify under the log key: %v", err)
	}
	var valid, invalid []string
	for _, w := range opts.Witnesses {
		ok, seen := false, false
		for _, sig := range n.UnverifiedSigs {
			if sig.Name == w.Name && sig.Hash == w.hash {
				seen = true
				if ok = w.cosigned(sig, n.Text); ok {
					break
				}
			}
		}
		switch {
		case ok:
			valid = append(valid, w.Name)
		case seen:
			invalid = append(invalid, w.Name)
		}
	}
	if len(valid) >= opts.Quorum {
		return valid, nil
	}
	detail := fmt.Sprintf("%d of %d required cosignatures by the %d witnesses given", len(valid), opts.Quorum, len(opts.Witnesses))
	if len(valid) > 0 {
		detail += " (valid: " + showAll(valid) + ")"
	}
	if len(invalid) > 0 {
		detail += "; not counted, not verifying: " + showAll(invalid)
	}
	return nil, atLog(ClassWitness, "%s", detail)
}

func showAll(names []string) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = show(n)
	}
	return strings.Join(s, ", ")
}
