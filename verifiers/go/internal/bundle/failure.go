package bundle

import "fmt"

// The failure classes of docs/bundle.md, "Checking a bundle", in check order.
const (
	ClassVerifierKey   = "verifier-key"
	ClassCheckpoint    = "checkpoint"
	ClassWitness       = "witness" // only with witnesses given (Options.Witnesses)
	ClassConsistency   = "consistency"
	ClassEntry         = "entry"
	ClassAuthorisation = "authorisation"
	ClassSignature     = "signature"
	ClassInclusion     = "inclusion"
	ClassItem          = "item"
	ClassBatchPath     = "batch-path"
	ClassPolicy        = "policy"
	ClassClaim         = "claim"
)

// Failure is the first check a bundle fails: it is not proven.
type Failure struct {
	Class  string // one of the Class constants
	Where  string // "log", "entry N", "item K", "batch K", "policy" or "claim"
	Detail string // one line, for people
}

// Line is the report line the specification prescribes.
func (f *Failure) Line() string {
	return fmt.Sprintf("NOT PROVEN: %s at %s: %s", f.Class, f.Where, oneLine(f.Detail))
}

func (f *Failure) Error() string { return f.Line() }

func atLog(class, format string, args ...any) *Failure {
	return &Failure{Class: class, Where: "log", Detail: fmt.Sprintf(format, args...)}
}

func atEntry(class string, index uint64, format string, args ...any) *Failure {
	return &Failure{Class: class, Where: fmt.Sprintf("entry %d", index), Detail: fmt.Sprintf(format, args...)}
}

func atItem(class string, k int, format string, args ...any) *Failure {
	return &Failure{Class: class, Where: fmt.Sprintf("item %d", k), Detail: fmt.Sprintf(format, args...)}
}

func atBatch(class string, k int, format string, args ...any) *Failure {
	return &Failure{Class: class, Where: fmt.Sprintf("batch %d", k), Detail: fmt.Sprintf(format, args...)}
}

func atClaim(format string, args ...any) *Failure {
	return &Failure{Class: ClassClaim, Where: "claim", Detail: fmt.Sprintf(format, args...)}
}

func atPolicy(format string, args ...any) *Failure {
	return &Failure{Class: ClassPolicy, Where: "policy", Detail: fmt.Sprintf(format, args...)}
}
