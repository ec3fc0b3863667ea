package bundle

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// requestTargets are the request kinds of a Request/v2 item [kind, target, at] and
// the prefix of the node id each is about.
var requestTargets = map[string]string{
	"deletion":  "post:",
	"objection": "subject:",
	"erasure":   "subject:",
}

// request is a disclosed Request/v2 item.
type request struct {
	kind   string
	target string
	time   time.Time // when the person acted
	where  string    // where the bundle discloses it: "item K", "batch K", …
}

// requestItem reads [kind, target, at]: three strings, a known kind, a target of the
// node kind the request is about, and an RFC 3339 time.
func requestItem(v any) (request, error) {
	a, ok := v.([]any)
	if !ok || len(a) != 3 {
		return request{}, errors.New("not an array of 3 elements")
	}
	var s [3]string
	for i := range s {
		if s[i], ok = a[i].(string); !ok {
			return request{}, errors.New("not [kind, target, at] (three strings)")
		}
	}
	kind, target, at := s[0], s[1], s[2]
	prefix, known := requestTargets[kind]
	if !known {
		return request{}, fmt.Errorf("unknown request kind %s (deletion, objection, erasure)", show(kind))
	}
	if !strings.HasPrefix(target, prefix) || len(target) == len(prefix) {
		return request{}, fmt.Errorf("%s requests are about %s… ids, not %s", kind, prefix, show(target))
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return request{}, fmt.Errorf("at %s is not an RFC 3339 time", show(at))
	}
	return request{kind: kind, target: target, time: t}, nil
}
