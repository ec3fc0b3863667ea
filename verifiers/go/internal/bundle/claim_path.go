package bundle

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// checkPathClaim checks {"kind": "path", "post": P, "artifact": A}: following the
// disclosed edges in the direction data flows, A is reachable from P.
func checkPathClaim(members map[string]json.RawMessage, d *disclosed) (*Proven, *Failure) {
	post, f := claimString(members, "post")
	if f != nil {
		return nil, f
	}
	artifact, f := claimString(members, "artifact")
	if f != nil {
		return nil, f
	}
	if post == artifact {
		return nil, atClaim("the post and the artifact are the same node %s", show(post))
	}
	hops, f := newFlowGraph(d.edges).path(post, artifact)
	if f != nil {
		return nil, f
	}
	if hops == nil {
		return nil, atClaim("artifact %s is not reachable from post %s along the %d disclosed edges", show(artifact), show(post), len(d.edges))
	}
	p := &Proven{Statement: fmt.Sprintf("post %s reaches artifact %s (%d edges)", show(post), show(artifact), len(hops))}
	for _, e := range hops {
		from, to, _ := e.source()
		p.Details = append(p.Details, fmt.Sprintf("  %s -> %s  [%s, %s]", show(from), show(to), e.kind, e.where))
	}
	for _, n := range d.nodes[post] {
		p.Details = append(p.Details, fmt.Sprintf("post node: %s %s", n.kind, describeAttributes(n.attributes)))
	}
	return p, nil
}

func describeAttributes(attrs map[string]any) string {
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, name := range names {
		value, isString := attrs[name].(string)
		if isString {
			value = show(value)
		} else {
			value = fmt.Sprint(attrs[name]) // an integer
		}
		parts[i] = fmt.Sprintf("%s=%s", oneLine(name), value)
	}
	return strings.Join(parts, " ")
}
