package bundle

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// unknownOrigin is the rule whose findings (of a record with no complete path back to
// a post: origin null) must still show the record reaching the artifact.
const unknownOrigin = "unknown-origin"

// nodeID is a lineage node id: a kind's prefix and 1 to 200 characters of a safe set.
var nodeID = regexp.MustCompile(`^(post|rec|shard|ds|model|subject):[A-Za-z0-9._:@/+=-]{1,200}$`)

// checkCheckClaim checks {"kind": "check", "artifact": A, "asOf": …, "policy": {id,
// version, sha256}, "passed": …, "complete": …, "counts": {origins, posts,
// violations, notices}, "findings": [{rule, level, origin, record, shard}, …]},
// after check 10 proved the policy registered. It checks what follows from the
// disclosed items without evaluating the policy's rules: A is a node id, asOf null or
// an RFC 3339 time, the counts JSON integers (not negative), passed is violations ==
// 0; a finding with an origin shows the origin reaching its record and the record
// reaching A, one of rule unknown-origin the record reaching A (other findings
// without an origin, lineage gaps, show no path); a complete claim's bundle carries
// every entry below the checkpoint's size and every batch statement's batch in full
// (checkCoverage), and it counts the posts that reach A. "Reach" is along one edge
// or more. A claim not complete proves its findings only: what it prints says its
// counts and outcome are the operator's statement.
func checkCheckClaim(members map[string]json.RawMessage, d *disclosed) (*Proven, *Failure) {
	if d.policy == nil {
		return nil, atClaim("the claim's policy was not checked") // check 10 runs for every check claim
	}
	claim := claimObject{what: "claim", m: members}
	artifact, f := claim.str("artifact")
	if f != nil {
		return nil, f
	}
	if !nodeID.MatchString(artifact) {
		return nil, atClaim("claim.artifact %s is not a node id (post:, rec:, shard:, ds:, model: or subject: and 1 to 200 of A-Z a-z 0-9 . _ : @ / + = -)", show(artifact))
	}
	asOf, f := claim.strOrNull("asOf")
	if f != nil {
		return nil, f
	}
	if asOf != nil {
		if _, err := time.Parse(time.RFC3339Nano, *asOf); err != nil {
			return nil, atClaim("claim.asOf %s is not an RFC 3339 time", show(*asOf))
		}
	}
	passed, f := claim.boolean("passed")
	if f != nil {
		return nil, f
	}
	complete, f := claim.boolean("complete")
	if f != nil {
		return nil, f
	}
	counts, f := claim.obj("counts")
	if f != nil {
		return nil, f
	}
	var n [4]uint64 // origins, posts, violations, notices
	for i, name := range []string{"origins", "posts", "violations", "notices"} {
		if n[i], f = counts.uint(name); f != nil {
			return nil, f
		}
	}
	origins, posts, violations, notices := n[0], n[1], n[2], n[3]
	findings, f := claim.objs("findings")
	if f != nil {
		return nil, f
	}
	if passed != (violations == 0) {
		return nil, atClaim("claim.passed is %t, but claim.counts.violations is %d", passed, violations)
	}

	g := newFlowGraph(d.edges)
	toArtifact, f := g.upstreamOf(artifact)
	if f != nil {
		return nil, f
	}
	var lines []string
	for _, fd := range findings {
		line, f := checkFinding(fd, artifact, g, toArtifact)
		if f != nil {
			return nil, f
		}
		lines = append(lines, line)
	}
	if complete {
		if f := checkCoverage(d); f != nil {
			return nil, f
		}
	}
	reaching := 0
	for id := range toArtifact {
		if strings.HasPrefix(id, "post:") {
			reaching++
		}
	}
	if complete && uint64(reaching) != posts {
		return nil, atClaim("the claim is complete, but %d posts reach artifact %s along the %d disclosed edges, not claim.counts.posts %d", reaching, show(artifact), len(d.edges), posts)
	}

	pol := d.policy
	outcome := "passes"
	if !passed {
		outcome = "fails"
	}
	against := fmt.Sprintf("policy %s version %s", show(pol.id), show(pol.version))
	countsLine := fmt.Sprintf("%d origins, %d posts, %d violations, %d notices", origins, posts, violations, notices)
	p := &Proven{}
	if complete {
		p.Statement = fmt.Sprintf("artifact %s %s %s (%d violations, %d notices): a complete bundle, its counts proven structurally (the policy's rules are not evaluated again here; lineage verify-bundle does that)",
			show(artifact), outcome, against, violations, notices)
	} else {
		p.Statement = fmt.Sprintf("the %d findings listed about artifact %s under %s, each shown by its path (a lineage gap only stated); the counts and the outcome (%s: %d violations, %d notices) are the operator's statement, not proven (a complete bundle proves them)",
			len(findings), show(artifact), against, outcome, violations, notices)
	}
	p.Details = append(p.Details,
		fmt.Sprintf("policy: sha256 %s, registered in entry %d, document of %d bytes", pol.sha256, pol.entry, pol.size))
	if asOf != nil {
		p.Details = append(p.Details, fmt.Sprintf("as of: %s", show(*asOf)))
	}
	if complete {
		p.Details = append(p.Details, fmt.Sprintf("counts (proven structurally): %s", countsLine))
		p.Details = append(p.Details, fmt.Sprintf("complete: %d posts reach the artifact along the %d disclosed edges", reaching, len(d.edges)))
		p.Details = append(p.Details, coverage(d))
		p.Details = append(p.Details, "proven structurally here: the bundle holds every entry of the log at its checkpoint and each batch statement's batch in full, the posts reaching the artifact are counted again (counts.posts), passed is violations == 0, each finding is shown by its path (a lineage gap only stated); the violations, notices and origins rest on the policy's rules, which lineage verify-bundle evaluates again")
	} else {
		p.Details = append(p.Details, fmt.Sprintf("counts (the operator's statement, not proven): %s; outcome: %s", countsLine, outcome))
		p.Details = append(p.Details, "not complete: the findings' paths only; other findings may exist, and the counts and the outcome are the operator's statement, not proven")
	}
	p.Details = append(p.Details, fmt.Sprintf("findings: %d", len(findings)))
	p.Details = append(p.Details, lines...)
	p.Details = append(p.Details, "not checked here: the policy's rules themselves (lineage verify-bundle evaluates them again over a complete bundle)")
	return p, nil
}

// checkFinding checks one finding: when its origin is not null, the record reaches
// the artifact (toArtifact, the nodes upstream of it) and the origin reaches its
// record; when the origin is null and the rule is unknown-origin, the record reaches
// the artifact; otherwise (a lineage gap: incomplete-lineage, cycle) nothing.
func checkFinding(fd claimObject, artifact string, g *flowGraph, toArtifact map[string]bool) (string, *Failure) {
	rule, f := fd.str("rule")
	if f != nil {
		return "", f
	}
	level, f := fd.str("level")
	if f != nil {
		return "", f
	}
	origin, f := fd.strOrNull("origin")
	if f != nil {
		return "", f
	}
	record, f := fd.str("record")
	if f != nil {
		return "", f
	}
	if origin == nil && rule != unknownOrigin {
		return fmt.Sprintf("  %s %s: %s (no origin: a lineage gap, stated, not shown by a path)", oneLine(level), show(rule), show(record)), nil
	}
	if !toArtifact[record] {
		return "", atClaim("%s: record %s does not reach artifact %s along the disclosed edges", fd.what, show(record), show(artifact))
	}
	from := "(no origin)"
	if origin != nil {
		reaches, f := g.reaches(*origin, record)
		if f != nil {
			return "", f
		}
		if !reaches {
			return "", atClaim("%s: origin %s does not reach record %s along the disclosed edges", fd.what, show(*origin), show(record))
		}
		from = show(*origin)
	}
	return fmt.Sprintf("  %s %s: %s -> %s -> %s", oneLine(level), show(rule), from, show(record), show(artifact)), nil
}

// checkCoverage checks that a complete claim's bundle carries every entry below the
// checkpoint's tree size and, for each of its batch statements (Lineage/v2,
// Request/v2), the full batch in "batches" (docs/bundle.md, "check": else class
// claim). The first entry missing, then the first batch statement without its full
// batch, in index order, decides. Every entry of the bundle is below the size (its
// inclusion proof was proven), so the bundle has them all when it has size of them.
func checkCoverage(d *disclosed) *Failure {
	if uint64(len(d.entries)) != d.size {
		for n := uint64(0); ; n++ {
			if d.entries[n] == nil {
				return atClaim("the claim is complete, but the bundle lacks entry %d (the checkpoint's size is %d; the bundle has %d entries)", n, d.size, len(d.entries))
			}
		}
	}
	for n := uint64(0); n < d.size; n++ {
		pt := d.entries[n].statement.predicateType
		if (pt == LineageV2 || pt == RequestV2) && !d.fullBatches[n] {
			return atClaim("the claim is complete, but the bundle lacks the full batch of entry %d (a %s statement) in batches", n, show(pt))
		}
	}
	return nil
}

// coverage is the line a proven complete claim prints: checkCoverage has shown the
// bundle carries all the checkpoint's entries and all their batches in full.
func coverage(d *disclosed) string {
	statements := 0
	for _, e := range d.entries {
		if pt := e.statement.predicateType; pt == LineageV2 || pt == RequestV2 {
			statements++
		}
	}
	return fmt.Sprintf("coverage: all the checkpoint's %d entries, and the full batches of all %d batch statements", d.size, statements)
}
