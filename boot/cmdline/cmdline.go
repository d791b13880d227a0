// Package cmdline splits a kernel command line into words the way Linux
// does (next_arg in lib/cmdline.c's sibling kernel/params.c): words are
// separated by white space, double quotes group white space into a word,
// and a word that starts with a quote loses that quote and, if it ends
// with one, the closing quote too. There is no escape character, so a
// word cannot carry a double quote of its own.
//
// Next neither allocates nor calls anything, so boot.early can use it
// before the Go runtime exists.
package cmdline

// Next finds the word that starts at or after cl[i]. It returns the
// word's bounds [start, end) and the index to continue from; ok is false
// when no word is left.
func Next(cl []byte, i int) (start, end, next int, ok bool) {
	for i < len(cl) && isSpace(cl[i]) {
		i++
	}
	if i >= len(cl) {
		return 0, 0, len(cl), false
	}
	start = i
	quoted := cl[i] == '"'
	inQuote := false
	for ; i < len(cl); i++ {
		if cl[i] == '"' {
			inQuote = !inQuote
		} else if isSpace(cl[i]) && !inQuote {
			break
		}
	}
	end, next = i, i
	if quoted {
		start++
		if end > start && cl[end-1] == '"' {
			end--
		}
	}
	return start, end, next, true
}

// Quote returns s as one word of a command line: as it is when it has no
// white space and does not start with a quote, else in double quotes.
// ok is false when s contains a double quote or a control character,
// which no command line word can carry.
func Quote(s string) (string, bool) {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return "", false
		case c == ' ':
			plain = false
		case c < ' ' || c == 0x7f:
			return "", false
		}
	}
	if plain {
		return s, true
	}
	return `"` + s + `"`, true
}

// isSpace is isspace() of the kernel's ctype for the bytes a command line
// holds.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
