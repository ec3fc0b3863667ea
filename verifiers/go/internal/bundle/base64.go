package bundle

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// decodeBase64 is standard base64 with padding (RFC 4648 §4), strictly: no line
// breaks (which Go's decoder would skip) and no stray bits in the last character.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("not base64: holds a line break")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not base64: %v", err)
	}
	return b, nil
}

// decodeHash is one base64 SHA-256 hash.
func decodeHash(s string) ([]byte, error) {
	b, err := decodeBase64(s)
	if err != nil {
		return nil, err
	}
	if len(b) != sha256.Size {
		return nil, fmt.Errorf("a hash has %d bytes, not %d", len(b), sha256.Size)
	}
	return b, nil
}
