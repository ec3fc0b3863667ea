package bundle

import (
	"encoding/json"
	"fmt"
	"strings"
)

// unknownOrigin is the rule whose findings (of a record with no complete path back to
// a post: origin null) must still show the record reaching the artifact.
const unknownOrigin = "unknown-origin"

// checkCheckClaim checks {"kind": "check", "artifact": A, "asOf": …, "policy": {id,
// version, sha256}, "passed": …, "complete": …, "counts": {origins, posts,
// violations, notices}, "findings": [{rule, level, origin, record, shard}, …]},
// after check 10 proved the policy registered. It checks what follows from the
// disclosed items without evaluating the policy's rules: passed is violations == 0;
// a finding with an origin shows the origin reaching its record and the record
// reaching A, one of rule unknown-origin the record reaching A (other findings
// without an origin, lineage gaps, show no path); a complete claim's bundle carries
// every entry below the checkpoint's size and every batch statement's batch in full
// (checkCoverage), and it counts the posts that reach A. "Reach" is along one edge
// or more.
func checkCheckClaim(members map[string]json.RawMessage, d *disclosed) (*Proven, *Failure) {
	if d.policy == nil {
		return nil, atClaim("the claim's policy was not checked") // check 10 runs for every check claim
	}
	claim := claimObject{what: "claim", m: members}
	artifact, f := claim.str("artifact")
	if f != nil {
		return nil, f
	}
	asOf, f := claim.strOrNull("asOf")
	if f != nil {
		return nil, f
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

	in := upstream(d.edges)
	toArtifact := reachers(in, artifact)
	toRecord := map[string]map[string]bool{}
	var lines []string
	for _, fd := range findings {
		line, f := checkFinding(fd, artifact, in, toArtifact, toRecord)
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
	p := &Proven{Statement: fmt.Sprintf("artifact %s %s policy %s version %s (%d violations, %d notices)",
		show(artifact), outcome, show(pol.id), show(pol.version), violations, notices)}
	p.Details = append(p.Details,
		fmt.Sprintf("policy: sha256 %s, registered in entry %d, document of %d bytes", pol.sha256, pol.entry, pol.size))
	if asOf != nil {
		p.Details = append(p.Details, fmt.Sprintf("as of: %s", show(*asOf)))
	}
	p.Details = append(p.Details, fmt.Sprintf("counts: %d origins, %d posts, %d violations, %d notices", origins, posts, violations, notices))
	if complete {
		p.Details = append(p.Details, fmt.Sprintf("complete: %d posts reach the artifact along the %d disclosed edges", reaching, len(d.edges)))
		p.Details = append(p.Details, coverage(d))
	} else {
		p.Details = append(p.Details, "not complete: the findings' paths only")
	}
	p.Details = append(p.Details, fmt.Sprintf("findings: %d", len(findings)))
	p.Details = append(p.Details, lines...)
	p.Details = append(p.Details, "not checked here: the policy's rules themselves (lineage verify-bundle evaluates them again over a complete bundle)")
	return p, nil
}

// checkFinding checks one finding: when its origin is not null, the origin reaches
// its record and the record reaches the artifact; when the origin is null and the
// rule is unknown-origin, the record reaches the artifact; otherwise (a lineage gap:
// incomplete-lineage, cycle) nothing. toRecord caches the nodes reaching each record.
func checkFinding(fd claimObject, artifact string, in map[string][]string, toArtifact map[string]bool, toRecord map[string]map[string]bool) (string, *Failure) {
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
		reaching, ok := toRecord[record]
		if !ok {
			reaching = reachers(in, record)
			toRecord[record] = reaching
		}
		if !reaching[*origin] {
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
