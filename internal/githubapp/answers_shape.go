package githubapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// answer is what GitHub's answer to one kind of request must hold: the
// fields mergeguard reads that would do harm if wrong (they go into URLs,
// job keys, verdicts), as GitHub's OpenAPI description specifies them.
type answer struct {
	method string
	path   *regexp.Regexp
	fields []field
	// shape is what the fields' paths read of an answer.
	shape *node
}

// check decodes the part of the answer the fields read, and checks them.
func (a answer) check(body []byte) string {
	v := reflect.New(a.shape.typ)
	if err := json.Unmarshal(body, v.Interface()); err != nil {
		return decodeProblem(err)
	}
	for _, f := range a.fields {
		if p := f.walk(a.shape, v.Elem(), f.steps(), ""); p != "" {
			return p
		}
	}
	return ""
}

// field is a rule for the values at a path: dot-separated names, "[]" for
// each element of a list ("[].sha": the sha of each element of the answer,
// a list).
type field struct {
	path string
	// nullable lets the value (or an object on the way) be absent or null.
	nullable bool
	rule     func(v any) string
}

func (f field) steps() []string {
	return strings.FieldsFunc(strings.ReplaceAll(f.path, "[]", ".[]"), func(r rune) bool { return r == '.' })
}

// walk applies the rule to the values at steps below v, whose shape is n;
// at is where v is, for messages.
func (f field) walk(n *node, v reflect.Value, steps []string, at string) string {
	if len(steps) == 0 {
		raw := v.Interface().(json.RawMessage)
		if len(raw) == 0 || string(raw) == "null" {
			return f.missing(at)
		}
		if p := f.rule(leaf(raw)); p != "" {
			return where(at) + " " + p
		}
		return ""
	}
	if v.IsNil() {
		return f.missing(at)
	}
	if steps[0] == "[]" {
		for i := range v.Len() {
			if p := f.walk(n.elem, v.Index(i), steps[1:], fmt.Sprintf("%s[%d]", at, i)); p != "" {
				return p
			}
		}
		return ""
	}
	name := steps[0]
	if at != "" {
		name = at + "." + name
	}
	return f.walk(n.kids[steps[0]], v.Elem().Field(n.index[steps[0]]), steps[1:], name)
}

func (f field) missing(at string) string {
	if f.nullable {
		return ""
	}
	return where(at) + " is missing"
}

// node is the shape of what the checks of one kind of answer read, as a Go
// type: a list, an object with the fields read, or a value kept as raw
// JSON. encoding/json fills it and skips everything else (a file's patch,
// its content) without copying it, so a check costs little next to the
// decoding go-github does anyway.
type node struct {
	elem  *node
	kids  map[string]*node
	names []string
	index map[string]int
	typ   reflect.Type
}

// shapeOf builds the shape the paths read.
func shapeOf(fields []field) *node {
	root := &node{}
	for _, f := range fields {
		n := root
		for _, step := range f.steps() {
			if step == "[]" {
				if n.elem == nil {
					n.elem = &node{}
				}
				n = n.elem
				continue
			}
			if n.kids == nil {
				n.kids, n.index = map[string]*node{}, map[string]int{}
			}
			if n.kids[step] == nil {
				n.index[step] = len(n.names)
				n.kids[step], n.names = &node{}, append(n.names, step)
			}
			n = n.kids[step]
		}
	}
	root.build()
	return root
}

func (n *node) build() reflect.Type {
	switch {
	case n.elem != nil && n.kids != nil:
		panic("an answer's path is read both as a list and as an object")
	case n.elem != nil:
		n.typ = reflect.SliceOf(n.elem.build())
	case n.kids != nil:
		fields := make([]reflect.StructField, len(n.names))
		for i, name := range n.names {
			fields[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: n.kids[name].build(), Tag: reflect.StructTag(`json:"` + name + `"`)}
		}
		// A pointer, so that null and absence show as nil.
		n.typ = reflect.PointerTo(reflect.StructOf(fields))
	default:
		n.typ = reflect.TypeFor[json.RawMessage]()
	}
	return n.typ
}

// leaf is a value the rules check: a string, a json.Number, a bool, or for
// an object or a list, an empty one (the rules only say it is not what they
// want). raw is valid JSON: the whole answer was decoded.
func leaf(raw json.RawMessage) any {
	switch raw[0] {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	case 't', 'f':
		return raw[0] == 't'
	case '{':
		return map[string]any{}
	case '[':
		return []any{}
	}
	return json.Number(raw)
}

// decodeProblem says what made an answer undecodable.
func decodeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := "an object"
		if te.Type.Kind() == reflect.Slice {
			want = "a list"
		}
		return fmt.Sprintf("%s is a JSON %s, where GitHub sends %s", where(te.Field), te.Value, want)
	}
	return "the answer is not valid JSON"
}

func where(at string) string {
	if at == "" {
		return "the answer"
	}
	return at
}
