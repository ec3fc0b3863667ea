package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Proven is what a proven claim shows: a one-line statement and details.
type Proven struct {
	Statement string
	Details   []string
}

// claimCheck is check 11 for one claim kind: what the claim's members and the
// disclosed items prove, or why they do not.
type claimCheck func(members map[string]json.RawMessage, d *disclosed) (*Proven, *Failure)

// claimKinds are the claim kinds this verifier checks; a new kind is one more
// function here.
var claimKinds = map[string]claimCheck{
	"path":     checkPathClaim,
	"receipts": checkReceiptsClaim,
	"check":    checkCheckClaim,
}

// policyKinds are the claim kinds check 10 (policy) applies to.
var policyKinds = map[string]bool{"check": true}

// checkClaim is check 11.
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
	return claimObject{what: "claim", m: members}.str(name)
}

// claimObject is a JSON object inside the claim, read member by member: a member
// missing or of the wrong JSON type fails check 11 (class claim).
type claimObject struct {
	what string // "claim", "claim.receipts[2]", …
	m    map[string]json.RawMessage
}

// asClaimObject reads raw as a JSON object named what.
func asClaimObject(raw json.RawMessage, what string) (claimObject, *Failure) {
	raw = bytes.TrimSpace(raw)
	var m map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return claimObject{}, atClaim("%s is not an object", what)
	}
	return claimObject{what: what, m: m}, nil
}

func (o claimObject) get(name string) (json.RawMessage, *Failure) {
	raw, ok := o.m[name]
	if !ok {
		return nil, atClaim("%s.%s is missing", o.what, name)
	}
	return bytes.TrimSpace(raw), nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

func (o claimObject) str(name string) (string, *Failure) {
	raw, f := o.get(name)
	if f != nil {
		return "", f
	}
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", atClaim("%s.%s is not a string", o.what, name)
	}
	return s, nil
}

// strOrNull reads a member that is a string or null (nil).
func (o claimObject) strOrNull(name string) (*string, *Failure) {
	raw, f := o.get(name)
	if f != nil || isNull(raw) {
		return nil, f
	}
	s, f := o.str(name)
	if f != nil {
		return nil, atClaim("%s.%s is not a string or null", o.what, name)
	}
	return &s, nil
}

func (o claimObject) boolean(name string) (bool, *Failure) {
	raw, f := o.get(name)
	if f != nil {
		return false, f
	}
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, atClaim("%s.%s is not true or false", o.what, name)
}

func (o claimObject) uint(name string) (uint64, *Failure) {
	raw, f := o.get(name)
	if f != nil {
		return 0, f
	}
	var n uint64
	if len(raw) == 0 || raw[0] < '0' || raw[0] > '9' || json.Unmarshal(raw, &n) != nil {
		return 0, atClaim("%s.%s is not a non-negative integer", o.what, name)
	}
	return n, nil
}

// uintOrNull reads a member that is a non-negative integer or null (nil).
func (o claimObject) uintOrNull(name string) (*uint64, *Failure) {
	raw, f := o.get(name)
	if f != nil || isNull(raw) {
		return nil, f
	}
	n, f := o.uint(name)
	if f != nil {
		return nil, atClaim("%s.%s is not a non-negative integer or null", o.what, name)
	}
	return &n, nil
}

func (o claimObject) obj(name string) (claimObject, *Failure) {
	raw, f := o.get(name)
	if f != nil {
		return claimObject{}, f
	}
	return asClaimObject(raw, o.what+"."+name)
}

// objs reads a member that is an array of objects.
func (o claimObject) objs(name string) ([]claimObject, *Failure) {
	raw, f := o.get(name)
	if f != nil {
		return nil, f
	}
	var list []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		return nil, atClaim("%s.%s is not an array", o.what, name)
	}
	out := make([]claimObject, len(list))
	for i, r := range list {
		if out[i], f = asClaimObject(r, fmt.Sprintf("%s.%s[%d]", o.what, name, i)); f != nil {
			return nil, f
		}
	}
	return out, nil
}
