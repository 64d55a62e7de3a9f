package policy

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// valueFromJSON reads a JSON document (a policy input the server sent)
// straight into OPA's value. OPA's own reader decodes into Go maps and
// slices first: for the largest pull request that took six times as long
// and twice the memory, all of it inside the worker's memory limit.
func valueFromJSON(b []byte) (ast.Value, error) {
	p := jsonParser{b: b, keys: map[string]*ast.Term{}}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if p.skipSpace(); p.i != len(p.b) {
		return nil, p.errorf("data after the document")
	}
	return v, nil
}

// maxJSONDepth bounds nesting, as encoding/json does.
const maxJSONDepth = 10000

type jsonParser struct {
	b []byte
	i int
	// pairs and terms are scratch stacks shared by the nested objects and
	// arrays being read, so each gets one allocation of its final size.
	pairs [][2]*ast.Term
	terms []*ast.Term
	// keys holds each object key once: an input repeats a few keys
	// (path, line, text) hundreds of thousands of times.
	keys map[string]*ast.Term
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("policy input, byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *jsonParser) skipSpace() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value reads any value, inside depth open objects and arrays.
func (p *jsonParser) value(depth int) (ast.Value, error) {
	p.skipSpace()
	if p.i == len(p.b) {
		return nil, p.errorf("unexpected end")
	}
	switch c := p.b[p.i]; {
	case (c == '{' || c == '[') && depth == maxJSONDepth:
		return nil, p.errorf("nested more than %d levels deep", maxJSONDepth)
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		return ast.String(s), err
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, lit := range []struct {
		text string
		v    ast.Value
	}{{"true", ast.Boolean(true)}, {"false", ast.Boolean(false)}, {"null", ast.Null{}}} {
		if len(p.b)-p.i >= len(lit.text) && string(p.b[p.i:p.i+len(lit.text)]) == lit.text {
			p.i += len(lit.text)
			return lit.v, nil
		}
	}
	return nil, p.errorf("unexpected %q", p.b[p.i])
}

func (p *jsonParser) object(depth int) (ast.Value, error) {
	p.i++ // {
	base := len(p.pairs)
	defer func() { p.pairs = p.pairs[:base] }()
	for first := true; ; first = false {
		p.skipSpace()
		if p.i < len(p.b) && p.b[p.i] == '}' && first {
			p.i++
			return ast.NewObject(), nil
		}
		if p.i == len(p.b) || p.b[p.i] != '"' {
			return nil, p.errorf("expected a key")
		}
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		if p.skipSpace(); p.i == len(p.b) || p.b[p.i] != ':' {
			return nil, p.errorf("expected ':'")
		}
		p.i++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.pairs = append(p.pairs, [2]*ast.Term{key, ast.NewTerm(v)})
		if done, err := p.next('}'); done || err != nil {
			return newObject(p.pairs[base:]), err
		}
	}
}

func (p *jsonParser) array(depth int) (ast.Value, error) {
	p.i++ // [
	base := len(p.terms)
	defer func() { p.terms = p.terms[:base] }()
	if p.skipSpace(); p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return ast.NewArray(), nil
	}
	for {
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.terms = append(p.terms, ast.NewTerm(v))
		if done, err := p.next(']'); done || err != nil {
			// The array keeps its slice: give it its own.
			return ast.NewArray(slices.Clone(p.terms[base:])...), err
		}
	}
}

// next reads the comma before another element, or the closing bracket.
func (p *jsonParser) next(closing byte) (done bool, err error) {
	p.skipSpace()
	if p.i == len(p.b) {
		return true, p.errorf("unexpected end")
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		return false, nil
	case closing:
		p.i++
		return true, nil
	}
	return true, p.errorf("expected ',' or %q", closing)
}

// newObject makes an object of pairs whose keys are interned terms; a key
// given twice takes its last value, as in encoding/json.
func newObject(pairs [][2]*ast.Term) ast.Object {
	if !duplicateKeys(pairs) {
		return ast.NewObject(pairs...)
	}
	obj := ast.NewObjectWithCapacity(len(pairs))
	for _, kv := range pairs {
		obj.Insert(kv[0], kv[1])
	}
	return obj
}

func duplicateKeys(pairs [][2]*ast.Term) bool {
	if len(pairs) <= 8 {
		for i := range pairs {
			for j := range i {
				if pairs[i][0] == pairs[j][0] {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[*ast.Term]bool, len(pairs))
	for _, kv := range pairs {
		if seen[kv[0]] {
			return true
		}
		seen[kv[0]] = true
	}
	return false
}

// key reads an object's key, the same term for the same key.
func (p *jsonParser) key() (*ast.Term, error) {
	start := p.i
	content, plain, err := p.scan()
	if err != nil {
		return nil, err
	}
	if plain {
		if t, ok := p.keys[string(content)]; ok {
			return t, nil
		}
	}
	p.i = start
	s, err := p.string()
	if err != nil {
		return nil, err
	}
	t, ok := p.keys[s]
	if !ok {
		t = ast.StringTerm(s)
		p.keys[s] = t
	}
	return t, nil
}

// scan reads past a quoted string, returning what is between the quotes
// and whether that is the string itself: UTF-8 without escapes.
func (p *jsonParser) scan() (content []byte, plain bool, err error) {
	p.i++ // "
	start := p.i
	escaped := false
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			content = p.b[start:p.i]
			p.i++
			return content, !escaped && utf8.Valid(content), nil
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return nil, false, p.errorf("control character in a string")
		default:
			p.i++
		}
	}
	return nil, false, p.errorf("unterminated string")
}

// string reads a quoted string: a plain copy when it has no escapes.
func (p *jsonParser) string() (string, error) {
	start := p.i
	content, plain, err := p.scan()
	if err != nil || plain {
		return string(content), err
	}
	p.i = start + 1
	return p.unescape()
}

// unescape reads the rest of a string with escapes.
func (p *jsonParser) unescape() (string, error) {
	var out []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return validUTF8(out), nil
		case c < 0x20:
			return "", p.errorf("control character in a string")
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 == len(p.b) {
			break
		}
		esc := p.b[p.i+1]
		p.i += 2
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// The second half of a pair, or U+FFFD as encoding/json
				// makes of a lone half.
				save := p.i
				if p.accept('\\') && p.accept('u') {
					if r2, ok := p.hex4(); ok {
						if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
							out = utf8.AppendRune(out, pair)
							continue
						}
					}
				}
				p.i, r = save, utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", p.errorf("invalid escape \\%c", esc)
		}
	}
	return "", p.errorf("unterminated string")
}

// validUTF8 is b as a string, each byte that is not UTF-8 replaced by
// U+FFFD, as encoding/json reads it.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return string(out)
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}

// number reads a number as JSON writes it:
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonParser) number() (ast.Value, error) {
	start := p.i
	p.accept('-')
	if !p.accept('0') && p.digits() == 0 {
		return nil, p.errorf("invalid number")
	}
	if p.accept('.') && p.digits() == 0 {
		return nil, p.errorf("invalid number")
	}
	if p.accept('e') || p.accept('E') {
		if !p.accept('+') {
			p.accept('-')
		}
		if p.digits() == 0 {
			return nil, p.errorf("invalid number")
		}
	}
	return ast.Number(p.b[start:p.i]), nil
}

func (p *jsonParser) accept(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonParser) digits() int {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}
