package bundle

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// checkReceiptsClaim checks {"kind": "receipts", "target": T, "receipts": [{"entry":
// N, "position": P, "answeredBy": M or null}, …]}: every receipt's item (N, P) is a
// disclosed request about T, and one answered is an erasure request that the Erasure
// statement M answers.
func checkReceiptsClaim(members map[string]json.RawMessage, d *disclosed) (*Proven, *Failure) {
	claim := claimObject{what: "claim", m: members}
	target, f := claim.str("target")
	if f != nil {
		return nil, f
	}
	if !strings.HasPrefix(target, "subject:") && !strings.HasPrefix(target, "post:") {
		return nil, atClaim("claim.target %s is not a subject: or post: id", show(target))
	}
	receipts, f := claim.objs("receipts")
	if f != nil {
		return nil, f
	}
	if len(receipts) == 0 {
		return nil, atClaim("claim.receipts is empty")
	}
	var details []string
	answered := 0
	for _, rc := range receipts {
		line, erased, f := checkReceipt(rc, target, d)
		if f != nil {
			return nil, f
		}
		if erased {
			answered++
		}
		details = append(details, line)
	}
	p := &Proven{Statement: fmt.Sprintf("%d requests about %s recorded, %d answered by an erasure", len(receipts), show(target), answered)}
	p.Details = details
	return p, nil
}

// checkReceipt checks one receipt and returns its line of the report and whether an
// Erasure statement answers it.
func checkReceipt(rc claimObject, target string, d *disclosed) (string, bool, *Failure) {
	n, f := rc.uint("entry")
	if f != nil {
		return "", false, f
	}
	pos, f := rc.uint("position")
	if f != nil {
		return "", false, f
	}
	answeredBy, f := rc.uintOrNull("answeredBy")
	if f != nil {
		return "", false, f
	}
	key := itemKey{entry: n, position: pos}
	r, ok := d.requests[key]
	if !ok {
		if e, inBundle := d.entries[n]; inBundle {
			if pt := e.statement.predicateType; pt != RequestV2 && pt != RequestV1 {
				return "", false, atClaim("%s: item %d of entry %d is not a request: entry %d is a %s statement, not %q or %q", rc.what, pos, n, n, show(pt), RequestV2, RequestV1)
			}
		}
		return "", false, atClaim("%s: item %d of entry %d is not disclosed (in items, a full batch or a Request/v1 payload)", rc.what, pos, n)
	}
	if r.target != target {
		return "", false, atClaim("%s: the request at item %d of entry %d is about %s, not %s", rc.what, pos, n, show(r.target), show(target))
	}
	line := fmt.Sprintf("  %s of %s at %s  [entry %d, position %d, %s]", r.kind, show(r.target), r.time.Format(time.RFC3339Nano), n, pos, r.where)
	if answeredBy == nil {
		return line, false, nil
	}
	m := *answeredBy
	e, ok := d.entries[m]
	if !ok {
		return "", false, atClaim("%s.answeredBy: entry %d is not in the bundle", rc.what, m)
	}
	st := e.statement
	if st.predicateType != Erasure {
		return "", false, atClaim("%s.answeredBy: entry %d is a %s statement, not %q", rc.what, m, show(st.predicateType), Erasure)
	}
	request, present, err := predicateIndex(st.predicate, "request")
	if err != nil || !present {
		return "", false, atClaim("%s.answeredBy: entry %d: predicate.request is not a non-negative integer", rc.what, m)
	}
	if request != n {
		return "", false, atClaim("%s.answeredBy: entry %d answers the request of entry %d, not of entry %d", rc.what, m, request, n)
	}
	item, present, err := predicateIndex(st.predicate, "item")
	if err != nil {
		return "", false, atClaim("%s.answeredBy: entry %d: predicate.item is not a non-negative integer", rc.what, m)
	}
	if present && item != pos {
		return "", false, atClaim("%s.answeredBy: entry %d answers item %d of entry %d, not item %d", rc.what, m, item, n, pos)
	}
	if r.kind != "erasure" {
		return "", false, atClaim("%s: entry %d answers an erasure, but the request at item %d of entry %d is of kind %s, not erasure", rc.what, m, pos, n, r.kind)
	}
	return fmt.Sprintf("%s answered by entry %d (Erasure at %s)", line, m, st.time.Format(time.RFC3339Nano)), true, nil
}

// predicateIndex reads an optional non-negative integer member of a predicate.
func predicateIndex(p map[string]any, name string) (value uint64, present bool, err error) {
	raw, present := p[name]
	if !present {
		return 0, false, nil
	}
	number, ok := raw.(json.Number)
	if !ok || !integerText.MatchString(string(number)) {
		return 0, true, fmt.Errorf("predicate.%s is not an integer", name)
	}
	value, err = strconv.ParseUint(string(number), 10, 64)
	return value, true, err
}
