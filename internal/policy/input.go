package policy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// inputValue converts a Go value to OPA's AST the way encoding/json would
// see it (json tags, omitempty, nil as null), without the JSON round trip
// ast.InterfaceToValue makes. For a 100,000-line pull request the round trip
// allocates three times the final value and dominated peak memory.
func inputValue(v any) (ast.Value, error) {
	return toValue(reflect.ValueOf(v))
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	jsonNumber    = reflect.TypeFor[json.Number]()
)

func toValue(v reflect.Value) (ast.Value, error) {
	if !v.IsValid() {
		return ast.Null{}, nil
	}
	if v.Type() == jsonNumber {
		return ast.Number(v.String()), nil
	}
	if marshals(v) {
		// Types with their own JSON form go the slow, exact way.
		return ast.InterfaceToValue(v.Interface())
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ast.Null{}, nil
		}
		return toValue(v.Elem())
	case reflect.String:
		s := v.String()
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		return ast.String(s), nil
	case reflect.Bool:
		return ast.Boolean(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n := v.Int(); n >= 0 && n < 1<<16 {
			// Small numbers (lines, indexes) are most of a large input:
			// OPA keeps the common ones interned.
			return ast.InternedTerm(int(n)).Value, nil
		}
		return ast.Number(strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return ast.Number(strconv.FormatUint(v.Uint(), 10)), nil
	case reflect.Float32, reflect.Float64:
		return ast.Number(strconv.FormatFloat(v.Float(), 'g', -1, 64)), nil
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return ast.Null{}, nil
		}
		terms := make([]*ast.Term, v.Len())
		for i := range terms {
			e, err := toValue(v.Index(i))
			if err != nil {
				return nil, err
			}
			terms[i] = ast.NewTerm(e)
		}
		return ast.NewArray(terms...), nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("input: map key type %s is not a string", v.Type().Key())
		}
		if v.IsNil() {
			return ast.Null{}, nil
		}
		obj := ast.NewObject()
		iter := v.MapRange()
		for iter.Next() {
			e, err := toValue(iter.Value())
			if err != nil {
				return nil, err
			}
			obj.Insert(ast.StringTerm(iter.Key().String()), ast.NewTerm(e))
		}
		return obj, nil
	case reflect.Struct:
		return structValue(v)
	}
	return nil, fmt.Errorf("input: cannot convert a %s", v.Type())
}

// structValue converts a struct by its cached plan: the fields' JSON names
// are read once per type, and the object is made from all its pairs at
// once rather than grown key by key.
func structValue(v reflect.Value) (ast.Value, error) {
	plan := planOf(v.Type())
	pairs := make([][2]*ast.Term, 0, len(plan))
	for _, f := range plan {
		fv, ok := fieldByIndex(v, f.index)
		if !ok || (f.omitEmpty && isEmptyValue(fv)) {
			continue
		}
		e, err := toValue(fv)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, [2]*ast.Term{f.key, ast.NewTerm(e)})
	}
	return ast.NewObject(pairs...), nil
}

// fieldByIndex is v.FieldByIndex that reports a nil embedded pointer
// (whose fields encoding/json leaves out) instead of panicking.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// fieldPlan is one JSON field of a struct type.
type fieldPlan struct {
	index     []int
	key       *ast.Term // shared by every object of the type: terms of the input are not changed by evaluation
	omitEmpty bool
}

var (
	plans      sync.Map // reflect.Type → []fieldPlan
	marshalers sync.Map // reflect.Type → bool
)

func planOf(t reflect.Type) []fieldPlan {
	if p, ok := plans.Load(t); ok {
		return p.([]fieldPlan)
	}
	var plan []fieldPlan
	addFields(&plan, t, nil)
	plans.Store(t, plan)
	return plan
}

// addFields lists a struct's fields; an embedded struct without a JSON
// name contributes its own fields, as in encoding/json.
func addFields(plan *[]fieldPlan, t reflect.Type, prefix []int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		index := append(slices.Clone(prefix), i)
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(plan, ft, index)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		*plan = append(*plan, fieldPlan{index: index, key: ast.StringTerm(name), omitEmpty: strings.Contains(opts, "omitempty")})
	}
}

// marshals reports whether v's type has a JSON form of its own, once per
// type.
func marshals(v reflect.Value) bool {
	t := v.Type()
	if t.Kind() != reflect.Pointer && (t.Name() == "" || t.PkgPath() == "") {
		// Built-in and unnamed types (string, int, []T, map[K]V), and
		// pointers to them, have no methods, and they are most of the
		// values: no lookup for them.
		return false
	}
	if m, ok := marshalers.Load(t); ok {
		return m.(bool) || (v.CanAddr() && pointerMarshals(t))
	}
	m := t.Implements(jsonMarshaler)
	marshalers.Store(t, m)
	return m || (v.CanAddr() && pointerMarshals(t))
}

func pointerMarshals(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	if m, ok := marshalers.Load(pt); ok {
		return m.(bool)
	}
	m := pt.Implements(jsonMarshaler)
	marshalers.Store(pt, m)
	return m
}

// isEmptyValue is encoding/json's definition of empty for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
