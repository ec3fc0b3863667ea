package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gowebpki/jcs"
)

// parseCanonical returns the JSON value text holds if text is exactly its RFC 8785
// (JCS) encoding, else an error. The JCS transform refuses duplicate member names,
// invalid UTF-8 and lone surrogates; any other spacing, member order, escaping or
// number form makes the canonical encoding differ from text.
func parseCanonical(text []byte) (any, error) {
	canonical, err := jcs.Transform(text)
	if err != nil {
		return nil, fmt.Errorf("not RFC 8785 JSON: %s", oneLine(err.Error()))
	}
	if !bytes.Equal(canonical, text) {
		return nil, errors.New("not in RFC 8785 canonical form (spacing, member order, escaping or number form differ)")
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber() // numbers stay json.Number: integers are read exactly
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	return v, nil
}
