package bundle

import (
	"strconv"
	"strings"
	"unicode"
)

const maxShown = 80

// show quotes a string taken from the bundle for a one-line message: control and
// non-printable characters escaped, long values shortened.
func show(s string) string {
	r := []rune(s)
	if len(r) > maxShown {
		return strconv.Quote(string(r[:maxShown])) + "…"
	}
	return strconv.Quote(s)
}

// oneLine keeps a message on one line whatever an error from a library holds.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
