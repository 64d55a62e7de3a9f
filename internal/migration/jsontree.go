package migration

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// libpg_query serialises its parse tree to protobuf far more slowly inside
// WebAssembly than to JSON (about 140 ms against 35 ms for a 5,000-
// statement migration), and protojson then takes about 95 ms to read the
// JSON back. decodeParseTree instead transcodes libpg_query's JSON to the
// protobuf wire format in Go, driven by the message descriptors, and
// hands that to proto.Unmarshal: the tree is built by the same code as on
// the protobuf path (which also checks strings are UTF-8 and bounds the
// nesting exactly as there), and the transcoding itself allocates
// nothing per node. Setting fields through protoreflect instead was
// slower than proto.Unmarshal itself.
//
// It reads only what libpg_query writes (see pg_query_outfuncs_json.c):
// objects whose keys are a field's JSON or proto name (libpg_query uses
// the C field name, which is one or the other), Node wrappers such as
// {"RangeVar":{...}} (the Node oneof's members have the node type as JSON
// name), enums as their value names, integers as numbers, and no
// whitespace. Anything else, including null, an unknown key, a repeated
// key, or two members of a oneof (which proto.Unmarshal would merge or
// let the last win), is an error, never a guess: the caller then takes
// the protobuf path, so a tree decoded here is always the tree the
// protobuf path would have built.

// maxTreeDepth bounds the nesting of objects, so that hostile JSON cannot
// recurse without bound. proto.Unmarshal refuses trees nested deeper than
// 10,000 messages anyway; deeper ones take the protobuf path.
const maxTreeDepth = 10000

// maxTreeFields is the most fields a message may have for the duplicate
// check's bit set (pg_query's Node has 268).
const maxTreeFields = 320

// lenBytes is the size of the length of an embedded message or escaped
// string: the length is written before the content is known, as a varint
// padded to four bytes (continuation bits on the first three), which
// protobuf decoders accept. It bounds a message to 256 MiB, far above
// what jsonParseMaxBytes of SQL produces.
const (
	lenBytes = 4
	maxLen   = 1<<(7*lenBytes) - 1
)

// treeMessage is what the decoder knows of one message type.
type treeMessage struct {
	fields nameTable[*treeField] // by JSON name and by proto name
}

type treeField struct {
	tag   []byte // the field's number and wire type, encoded
	index int    // the field's index in its message, for the duplicate check
	oneof int    // 1 + the index of its oneof, 0 for none
	kind  protoreflect.Kind
	list  bool
	msg   *treeMessage                       // message fields
	enum  nameTable[protoreflect.EnumNumber] // enum fields, by value name
}

// nameTable finds a field or an enum value by name: an open-addressing
// hash table whose hash the decoder computes while it scans the name.
// With Go maps, looking names up was a third of the transcoding's time;
// this takes about half as long.
type nameTable[V any] struct {
	slots []nameSlot[V] // a power of two of them, at least twice the names
}

type nameSlot[V any] struct {
	name string
	hash uint32
	used bool
	v    V
}

func nameHash(h uint32, c byte) uint32 { return h*31 + uint32(c) }

// newNameTable makes a table of names[i] to vals[i]; false when a name is
// there twice.
func newNameTable[V any](names []string, vals []V) (nameTable[V], bool) {
	size := 4
	for size < 2*len(names) {
		size *= 2
	}
	t := nameTable[V]{slots: make([]nameSlot[V], size)}
	for i, name := range names {
		var h uint32
		for k := 0; k < len(name); k++ {
			h = nameHash(h, name[k])
		}
		for j := t.start(h); ; j = (j + 1) & uint32(size-1) {
			if sl := &t.slots[j]; !sl.used {
				*sl = nameSlot[V]{name: name, hash: h, used: true, v: vals[i]}
				break
			} else if sl.name == name {
				return t, false
			}
		}
	}
	return t, true
}

// start is the slot where the search for a name of hash h starts: its
// high bits after a multiplication, which spreads names that differ only
// in their last bytes.
func (t *nameTable[V]) start(h uint32) uint32 {
	return (h * 0x9E3779B1) >> 16 & uint32(len(t.slots)-1)
}

// get finds name, whose nameHash is h.
func (t *nameTable[V]) get(name string, h uint32) (V, bool) {
	mask := uint32(len(t.slots) - 1)
	for j := t.start(h); ; j = (j + 1) & mask {
		sl := &t.slots[j]
		if !sl.used || sl.hash == h && sl.name == name {
			return sl.v, sl.used
		}
	}
}

var (
	treeOnce    sync.Once
	treeRoot    *treeMessage
	treeInitErr error
)

// treeMessages describes pg.ParseResult and every message it reaches,
// once per process.
func treeMessages() (*treeMessage, error) {
	treeOnce.Do(func() {
		seen := map[protoreflect.FullName]*treeMessage{}
		treeRoot, treeInitErr = describeTree((&pg.ParseResult{}).ProtoReflect().Descriptor(), seen)
	})
	return treeRoot, treeInitErr
}

func describeTree(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]*treeMessage) (*treeMessage, error) {
	if m, ok := seen[md.FullName()]; ok {
		return m, nil
	}
	fs := md.Fields()
	if fs.Len() > maxTreeFields || md.Oneofs().Len() > 64 {
		return nil, fmt.Errorf("%s has too many fields for the JSON tree decoder", md.FullName())
	}
	m := &treeMessage{}
	seen[md.FullName()] = m
	var names []string
	var fields []*treeField
	for i := 0; i < fs.Len(); i++ {
		fd := fs.Get(i)
		f := &treeField{index: i, kind: fd.Kind(), list: fd.IsList()}
		var wt protowire.Type
		switch f.kind {
		case protoreflect.BoolKind, protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Uint32Kind,
			protoreflect.Int64Kind, protoreflect.Uint64Kind:
			wt = protowire.VarintType
		case protoreflect.DoubleKind:
			wt = protowire.Fixed64Type
		case protoreflect.StringKind, protoreflect.MessageKind:
			wt = protowire.BytesType
		default:
			// pg_query has no others; they are not written for nothing.
			return nil, fmt.Errorf("%s: the JSON tree decoder does not read %s fields", fd.FullName(), fd.Kind())
		}
		if fd.IsMap() {
			return nil, fmt.Errorf("%s: the JSON tree decoder does not read maps", fd.FullName())
		}
		f.tag = protowire.AppendTag(nil, fd.Number(), wt)
		if od := fd.ContainingOneof(); od != nil {
			f.oneof = od.Index() + 1
		}
		if f.kind == protoreflect.MessageKind {
			sub, err := describeTree(fd.Message(), seen)
			if err != nil {
				return nil, err
			}
			f.msg = sub
		}
		if f.kind == protoreflect.EnumKind {
			vs := fd.Enum().Values()
			var vnames []string
			var nums []protoreflect.EnumNumber
			for k := 0; k < vs.Len(); k++ {
				vnames = append(vnames, string(vs.Get(k).Name()))
				nums = append(nums, vs.Get(k).Number())
			}
			var ok bool
			if f.enum, ok = newNameTable(vnames, nums); !ok {
				return nil, fmt.Errorf("%s: two values of the same name", fd.Enum().FullName())
			}
		}
		names = append(names, fd.JSONName())
		fields = append(fields, f)
		if string(fd.Name()) != fd.JSONName() {
			names = append(names, string(fd.Name()))
			fields = append(fields, f)
		}
	}
	var ok bool
	if m.fields, ok = newNameTable(names, fields); !ok {
		// A key that could mean two fields is not guessed.
		return nil, fmt.Errorf("%s: a key names two fields", md.FullName())
	}
	return m, nil
}

// errTreeJSON is wrapped by every decoding error.
var errTreeJSON = errors.New("libpg_query JSON")

// decodeParseTree decodes libpg_query's JSON parse tree.
func decodeParseTree(js string) (*pg.ParseResult, error) {
	wire, err := treeWire(js)
	if err != nil {
		return nil, err
	}
	res := &pg.ParseResult{}
	if err := proto.Unmarshal(wire, res); err != nil {
		return nil, fmt.Errorf("%w: %v", errTreeJSON, err)
	}
	return res, nil
}

// treeWire transcodes libpg_query's JSON parse tree to a pg.ParseResult
// in the protobuf wire format.
func treeWire(js string) ([]byte, error) {
	root, err := treeMessages()
	if err != nil {
		return nil, err
	}
	// The wire format is about half the size of the JSON.
	d := treeDecoder{s: js, out: make([]byte, 0, len(js)/2+len(js)/8)}
	if err := d.object(root); err != nil {
		return nil, err
	}
	if d.i != len(d.s) {
		return nil, d.fail("text after the tree")
	}
	return d.out, nil
}

// treeDecoder reads JSON from s at i and writes the wire format to out.
type treeDecoder struct {
	s     string
	i     int
	depth int
	out   []byte
}

func (d *treeDecoder) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errTreeJSON, what, d.i)
}

// next consumes c.
func (d *treeDecoder) next(c byte) bool {
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// varint writes v as a varint. (Appending to d.out in place, unlike
// assigning protowire.AppendVarint's result, writes only the slice's
// length, with no write barrier while the collector runs.)
func (d *treeDecoder) varint(v uint64) {
	for v >= 0x80 {
		d.out = append(d.out, byte(v)|0x80)
		v >>= 7
	}
	d.out = append(d.out, byte(v))
}

// openLen writes a length placeholder and returns where the content
// starts.
func (d *treeDecoder) openLen() int {
	d.out = append(d.out, 0x80, 0x80, 0x80, 0)
	return len(d.out)
}

// closeLen writes the length of the content written since openLen.
func (d *treeDecoder) closeLen(start int) error {
	n := len(d.out) - start
	if n > maxLen {
		return d.fail("a message too large")
	}
	p := d.out[start-lenBytes : start]
	p[0] = byte(n) | 0x80
	p[1] = byte(n>>7) | 0x80
	p[2] = byte(n>>14) | 0x80
	p[3] = byte(n >> 21)
	return nil
}

// object reads a JSON object, writing its fields as those of the message t.
func (d *treeDecoder) object(t *treeMessage) error {
	if !d.next('{') {
		return d.fail("not an object")
	}
	if d.depth++; d.depth > maxTreeDepth {
		return d.fail("tree nested too deeply")
	}
	defer func() { d.depth-- }()
	if d.next('}') {
		return nil
	}
	var seen [maxTreeFields / 64]uint64
	var oneofs uint64
	for {
		key, h, err := d.name()
		if err != nil {
			return err
		}
		f, _ := t.fields.get(key, h)
		if f == nil {
			return d.fail(fmt.Sprintf("unknown key %q", key))
		}
		if seen[f.index/64]&(1<<(f.index%64)) != 0 {
			return d.fail(fmt.Sprintf("repeated key %q", key))
		}
		seen[f.index/64] |= 1 << (f.index % 64)
		if f.oneof > 0 {
			if oneofs&(1<<(f.oneof-1)) != 0 {
				return d.fail(fmt.Sprintf("a second member of a oneof, %q", key))
			}
			oneofs |= 1 << (f.oneof - 1)
		}
		if !d.next(':') {
			return d.fail("no colon after a key")
		}
		if err := d.field(f); err != nil {
			return err
		}
		if d.next('}') {
			return nil
		}
		if !d.next(',') {
			return d.fail("no comma or end of object")
		}
	}
}

// name reads an object key or an enum value name, and its nameHash.
// libpg_query writes them without escapes.
func (d *treeDecoder) name() (string, uint32, error) {
	if !d.next('"') {
		return "", 0, d.fail("not a name")
	}
	start := d.i
	var h uint32
	for d.i < len(d.s) {
		c := d.s[d.i]
		if c == '"' {
			d.i++
			return d.s[start : d.i-1], h, nil
		}
		if c == '\\' || c < 0x20 {
			return "", 0, d.fail("an escape in a name")
		}
		h = nameHash(h, c)
		d.i++
	}
	return "", 0, d.fail("unterminated name")
}

// field reads the value of f. A repeated field is written unpacked, one
// element after the other, which decoders accept for packed fields too.
func (d *treeDecoder) field(f *treeField) error {
	if !f.list {
		return d.value(f)
	}
	if !d.next('[') {
		return d.fail("not an array")
	}
	if d.next(']') {
		return nil
	}
	for {
		if err := d.value(f); err != nil {
			return err
		}
		if d.next(']') {
			return nil
		}
		if !d.next(',') {
			return d.fail("no comma or end of array")
		}
	}
}

// value reads one value of f and writes it with its tag.
func (d *treeDecoder) value(f *treeField) error {
	d.out = append(d.out, f.tag...)
	switch f.kind {
	case protoreflect.MessageKind:
		start := d.openLen()
		if err := d.object(f.msg); err != nil {
			return err
		}
		return d.closeLen(start)
	case protoreflect.StringKind:
		return d.str()
	case protoreflect.BoolKind:
		switch {
		case strings.HasPrefix(d.s[d.i:], "true"):
			d.i += 4
			d.out = append(d.out, 1)
			return nil
		case strings.HasPrefix(d.s[d.i:], "false"):
			d.i += 5
			d.out = append(d.out, 0)
			return nil
		}
		return d.fail("not a boolean")
	case protoreflect.EnumKind:
		start := d.i
		name, h, err := d.name()
		if err != nil {
			return err
		}
		n, ok := f.enum.get(name, h)
		if !ok {
			d.i = start
			return d.fail(fmt.Sprintf("unknown enum value %q", name))
		}
		d.varint(uint64(int64(n)))
		return nil
	case protoreflect.Int32Kind:
		n, err := d.integer(math.MinInt32, math.MaxInt32, false)
		d.varint(uint64(n))
		return err
	case protoreflect.Uint32Kind:
		n, err := d.integer(0, math.MaxUint32, false)
		d.varint(uint64(n))
		return err
	case protoreflect.Int64Kind:
		n, err := d.integer(math.MinInt64, math.MaxInt64, true)
		d.varint(uint64(n))
		return err
	case protoreflect.Uint64Kind:
		return d.uint64()
	case protoreflect.DoubleKind:
		return d.double()
	}
	return d.fail("a field of kind " + f.kind.String())
}

// number returns the JSON number at the cursor (quoted when quotedOK and
// it is) and whether it is an integer: no fraction, no exponent.
func (d *treeDecoder) number(quotedOK bool) (string, bool, error) {
	quoted := quotedOK && d.next('"')
	start := d.i
	integer := true
	for d.i < len(d.s) {
		c := d.s[d.i]
		if c == '.' || c == 'e' || c == 'E' || c == '+' {
			integer = false
		} else if (c < '0' || c > '9') && c != '-' {
			break
		}
		d.i++
	}
	num := d.s[start:d.i]
	if num == "" || quoted && !d.next('"') {
		return "", false, d.fail("not a number")
	}
	return num, integer, nil
}

// integer reads an integer within [lo, hi].
func (d *treeDecoder) integer(lo, hi int64, quotedOK bool) (int64, error) {
	start := d.i
	num, integer, err := d.number(quotedOK)
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseInt(num, 10, 64)
	if !integer || perr != nil || n < lo || n > hi {
		d.i = start
		return 0, d.fail(fmt.Sprintf("integer %q out of range", num))
	}
	return n, nil
}

func (d *treeDecoder) uint64() error {
	start := d.i
	num, integer, err := d.number(true)
	if err != nil {
		return err
	}
	n, perr := strconv.ParseUint(num, 10, 64)
	if !integer || perr != nil {
		d.i = start
		return d.fail(fmt.Sprintf("unsigned integer %q out of range", num))
	}
	d.varint(n)
	return nil
}

// double reads a double; libpg_query writes them with printf's %f.
func (d *treeDecoder) double() error {
	start := d.i
	num, _, err := d.number(false)
	if err != nil {
		return err
	}
	x, perr := strconv.ParseFloat(num, 64)
	if perr != nil {
		d.i = start
		return d.fail(fmt.Sprintf("number %q out of range", num))
	}
	x64 := math.Float64bits(x)
	d.out = append(d.out, byte(x64), byte(x64>>8), byte(x64>>16), byte(x64>>24), byte(x64>>32), byte(x64>>40), byte(x64>>48), byte(x64>>56))
	return nil
}

// str reads a JSON string and writes it with its length. proto.Unmarshal
// checks that it is UTF-8, as it does on the protobuf path.
func (d *treeDecoder) str() error {
	if !d.next('"') {
		return d.fail("not a string")
	}
	start := d.i
	for d.i < len(d.s) {
		switch c := d.s[d.i]; {
		case c == '"':
			d.varint(uint64(d.i - start))
			d.out = append(d.out, d.s[start:d.i]...)
			d.i++
			return nil
		case c == '\\':
			d.i = start
			return d.escapedStr()
		case c < 0x20:
			return d.fail("a control character in a string")
		}
		d.i++
	}
	return d.fail("unterminated string")
}

// escapedStr reads the rest of a string that has escapes, from just after
// its opening quote.
func (d *treeDecoder) escapedStr() error {
	start := d.openLen()
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return d.closeLen(start)
		case c < 0x20:
			return d.fail("a control character in a string")
		case c != '\\':
			d.out = append(d.out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.s) {
			break
		}
		e := d.s[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			d.out = append(d.out, e)
		case 'b':
			d.out = append(d.out, '\b')
		case 'f':
			d.out = append(d.out, '\f')
		case 'n':
			d.out = append(d.out, '\n')
		case 'r':
			d.out = append(d.out, '\r')
		case 't':
			d.out = append(d.out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return d.fail("a bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// libpg_query escapes only ASCII this way; a pair is
				// still read as JSON means it, a lone half is an error.
				lo, ok := rune(-1), false
				if strings.HasPrefix(d.s[d.i:], `\u`) {
					d.i += 2
					lo, ok = d.hex4()
				}
				r = utf16.DecodeRune(r, lo)
				if !ok || r == utf8.RuneError {
					return d.fail("a bad surrogate pair")
				}
			}
			var u [utf8.UTFMax]byte
			d.out = append(d.out, u[:utf8.EncodeRune(u[:], r)]...)
		default:
			return d.fail("a bad escape")
		}
	}
	return d.fail("unterminated string")
}

// hex4 reads the four hex digits of a \u escape.
func (d *treeDecoder) hex4() (rune, bool) {
	if len(d.s)-d.i < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 16)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}
