package testbundle

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Key is an Ed25519 key, made deterministically from a name.
type Key struct {
	Name    string
	Private ed25519.PrivateKey
	Public  ed25519.PublicKey
	ID      string // hex SHA-256 of the public key
}

// NewKey makes the key of a name.
func NewKey(name string) Key {
	seed := sha256.Sum256([]byte("testbundle key " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)
	id := sha256.Sum256(pub)
	return Key{Name: name, Private: priv, Public: pub, ID: hex.EncodeToString(id[:])}
}

// B64 is the public key in base64.
func (k Key) B64() string { return base64.StdEncoding.EncodeToString(k.Public) }

// NoteKeys are the signed-note signer and verifier keys of k under a name.
func (k Key) NoteKeys(name string) (signer note.Signer, vkey string) {
	vkey, err := note.NewEd25519VerifierKey(name, k.Public)
	if err != nil {
		panic(err)
	}
	parts := strings.SplitN(vkey, "+", 3) // name, hash, key
	skey := "PRIVATE+KEY+" + name + "+" + parts[1] + "+" +
		base64.StdEncoding.EncodeToString(append([]byte{0x01}, k.Private.Seed()...))
	signer, err = note.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	return signer, vkey
}
