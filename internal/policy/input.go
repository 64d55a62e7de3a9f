package policy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
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
	if v.Type().Implements(jsonMarshaler) || (v.CanAddr() && reflect.PointerTo(v.Type()).Implements(jsonMarshaler)) {
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
		obj := ast.NewObject()
		if err := insertFields(obj, v); err != nil {
			return nil, err
		}
		return obj, nil
	}
	return nil, fmt.Errorf("input: cannot convert a %s", v.Type())
}

// insertFields adds a struct's fields to obj; an embedded struct without a
// JSON name contributes its own fields, as in encoding/json.
func insertFields(obj ast.Object, v reflect.Value) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		fv := v.Field(i)
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			if err := insertFields(obj, fv); err != nil {
				return err
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(opts, "omitempty") && isEmptyValue(fv) {
			continue
		}
		e, err := toValue(fv)
		if err != nil {
			return err
		}
		obj.Insert(ast.StringTerm(name), ast.NewTerm(e))
	}
	return nil
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
