package bundle

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Proven is what a proven claim shows: a one-line statement and details.
type Proven struct {
	Statement string
	Details   []string
}

// claimCheck is check 10 for one claim kind: what the claim's members and the
// disclosed items prove, or why they do not.
type claimCheck func(members map[string]json.RawMessage, d *disclosed) (*Proven, *Failure)

// claimKinds are the claim kinds this verifier checks; a new kind ("check",
// "receipts") is one more function here.
var claimKinds = map[string]claimCheck{
	"path": checkPathClaim,
}

// checkClaim is check 10.
func checkClaim(c Claim, d *disclosed) (*Proven, *Failure) {
	check, ok := claimKinds[c.Kind]
	if !ok {
		return nil, atClaim("unknown claim kind %s (this verifier checks: %s)", show(c.Kind), knownKinds())
	}
	return check(c.Members, d)
}

func knownKinds() string {
	var names []string
	for name := range claimKinds {
		names = append(names, fmt.Sprintf("%q", name))
	}
	sort.Strings(names)
	return fmt.Sprint(names)
}

// claimString reads a required string member of the claim.
func claimString(members map[string]json.RawMessage, name string) (string, *Failure) {
	raw, ok := members[name]
	if !ok {
		return "", atClaim("claim.%s is missing", name)
	}
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", atClaim("claim.%s is not a string", name)
	}
	return s, nil
}
