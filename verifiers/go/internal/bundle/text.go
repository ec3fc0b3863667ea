package bundle

import (
	"strconv"
	"strings"
	"unicode"
)

const maxShown = 80

// show quotes a string taken from the bundle for a one-line message: control and
// non-printable characters escaped (strconv.Quote: line and paragraph separators
// too), long values shortened.
func show(s string) string {
	r := []rune(s)
	if len(r) > maxShown {
		return strconv.Quote(string(r[:maxShown])) + "…"
	}
	return strconv.Quote(s)
}

// oneLine keeps a message on one line whatever a bundle or an error from a library
// holds: every character that is not graphic (newlines, carriage returns, other
// control characters, U+2028 and U+2029, format characters such as bidirectional
// overrides) and every invalid byte becomes U+FFFD. A space stays a space.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsGraphic(r) { // letters, marks, numbers, punctuation, symbols, Zs spaces
			return r
		}
		return unicode.ReplacementChar
	}, s)
}
