package coverage

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxXMLDepth bounds element nesting. Cobertura nests seven levels and
// JaCoCo five plus its groups; anything near the bound is not a coverage
// report, and the bound keeps the element stack small whatever arrives.
const maxXMLDepth = 64

// newXMLDecoder reads a report with encoding/xml, which never fetches
// anything: a DOCTYPE (JaCoCo's names report.dtd) is returned as a
// directive and skipped, and entities other than the five predefined ones
// are errors rather than expansions, so no entity can blow up or reach
// out.
func newXMLDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	d.CharsetReader = charsetReader
	return d
}

// charsetReader accepts the encodings coverage tools declare: UTF-8 (and
// its subset ASCII) as is, and ISO-8859-1, which older Java tools still
// write and which maps byte for byte onto Unicode.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		return &latin1Reader{r: input}, nil
	}
	return nil, unsupportedEncoding(label)
}

// unsupportedEncoding is the encoding a report declared and no reader here
// understands.
type unsupportedEncoding string

func (u unsupportedEncoding) Error() string {
	return fmt.Sprintf("the report declares encoding %q, which is not supported; write it as UTF-8", clip(string(u)))
}

// latin1Reader turns ISO-8859-1 bytes into UTF-8.
type latin1Reader struct {
	r   io.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	// Each input byte becomes at most two output bytes, so reading half of
	// len(p) always fits.
	if len(p) < 2 {
		return 0, io.ErrShortBuffer
	}
	if cap(l.buf) < len(p)/2 {
		l.buf = make([]byte, len(p)/2)
	}
	n, err := l.r.Read(l.buf[:len(p)/2])
	out := 0
	for _, c := range l.buf[:n] {
		if c < 0x80 {
			p[out] = c
			out++
		} else {
			p[out], p[out+1] = 0xC0|c>>6, 0x80|c&0x3F
			out += 2
		}
	}
	return out, err
}

const xmlTruncated = "the XML ends before it is complete; the upload may be truncated, or the tool stopped while writing it"

// xmlProblem words a decoder error without the "XML syntax error on line
// N" prefix: the *Error carries the line already.
func xmlProblem(err error) string {
	var enc unsupportedEncoding
	if errors.As(err, &enc) {
		return enc.Error()
	}
	var syn *xml.SyntaxError
	if errors.As(err, &syn) {
		switch {
		case syn.Msg == "unexpected EOF":
			return xmlTruncated
		case strings.HasPrefix(syn.Msg, "invalid character entity"):
			// HTML habits (&nbsp;) and DOCTYPE-declared entities, which are
			// deliberately not expanded.
			return clip(syn.Msg) + " (XML reports may use only &amp; &lt; &gt; &quot; &apos; and numeric references)"
		}
		return clip(syn.Msg)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return xmlTruncated
	}
	return clip(err.Error())
}

// element is one open element, remembered so an error can say where it is.
// key names the attribute that tells siblings apart (a class's filename, a
// package's name); the strings are the decoder's own, so remembering them
// costs nothing until an error builds the path.
type element struct {
	name, key, value string
}

// xmlWalker reads a report's elements one at a time (never the whole
// document into structs), enforcing the depth bound, a single root of the
// expected name, and turning every failure into an *Error that says where.
type xmlWalker struct {
	d      *xml.Decoder
	format Format
	root   string
	keys   map[string]string // element name → identifying attribute
	open   []element
	done   bool // the root has ended
}

func newXMLWalker(data []byte, format Format, root string, keys map[string]string) *xmlWalker {
	return &xmlWalker{d: newXMLDecoder(data), format: format, root: root, keys: keys}
}

// next returns the next start or end element; io.EOF when the document has
// ended properly. Character data is skipped unless text is wanted
// (Cobertura's <source>), in which case it is returned too.
func (w *xmlWalker) next(text bool) (xml.Token, error) {
	for {
		tok, err := w.d.Token()
		if err == io.EOF {
			if !w.done {
				return nil, w.fail("the report has no <" + w.root + "> element (empty or truncated upload?)")
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, w.fail(xmlProblem(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if w.done {
				return nil, w.fail(fmt.Sprintf("the report has a second root element <%s> after </%s>; it may be two reports joined together — upload each one separately (one flag each)", clip(t.Name.Local), w.root))
			}
			if len(w.open) == 0 && t.Name.Local != w.root {
				return nil, w.fail(fmt.Sprintf("the root element is <%s>; a %s report's root is <%s>", clip(t.Name.Local), w.format, w.root))
			}
			if len(w.open) >= maxXMLDepth {
				return nil, w.fail(fmt.Sprintf("elements nest more than %d levels deep, which no coverage tool writes", maxXMLDepth))
			}
			e := element{name: t.Name.Local}
			if k, ok := w.keys[e.name]; ok {
				e.key, e.value = k, attr(t, k)
			}
			w.open = append(w.open, e)
			return t, nil
		case xml.EndElement:
			// The decoder has checked that it matches the open element.
			w.open = w.open[:len(w.open)-1]
			if len(w.open) == 0 {
				w.done = true
			}
			return t, nil
		case xml.CharData:
			if text && len(w.open) > 0 {
				return t, nil
			}
		}
	}
}

// parent is the name of the element enclosing the current one ("" at the
// root).
func (w *xmlWalker) parent() string {
	if len(w.open) < 2 {
		return ""
	}
	return w.open[len(w.open)-2].name
}

// fail makes an *Error at the decoder's position and the open elements.
func (w *xmlWalker) fail(problem string) *Error {
	line, _ := w.d.InputPos()
	return &Error{Format: w.format, Line: line, Where: w.where(), Problem: problem}
}

// at places an error made elsewhere (a limit) at the current position.
func (w *xmlWalker) at(e *Error) *Error {
	e.Line, _ = w.d.InputPos()
	e.Where = w.where()
	return e
}

// where renders the open elements as an XPath-like path, with the
// identifying attribute where there is one:
// /coverage/packages/package[@name="shop"]/classes/class[@filename="shop/charge.py"].
func (w *xmlWalker) where() string {
	var b strings.Builder
	for _, e := range w.open {
		b.WriteString("/")
		b.WriteString(clip(e.name))
		if e.key != "" && e.value != "" {
			fmt.Fprintf(&b, "[@%s=%q]", e.key, clip(e.value))
		}
	}
	return b.String()
}

// attr returns an attribute's value, "" when absent.
func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// hasAttr reports whether an attribute is present at all, to tell a
// missing attribute from an empty one in errors.
func hasAttr(t xml.StartElement, name string) bool {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return true
		}
	}
	return false
}

// lineAttr reads a required line-number attribute.
func (w *xmlWalker) lineAttr(t xml.StartElement, name string) (int, error) {
	return w.numberAttr(t, name, " (the line number)", parseLine)
}

// countAttr reads a required count attribute.
func (w *xmlWalker) countAttr(t xml.StartElement, name string) (int, error) {
	return w.numberAttr(t, name, "", parseHits)
}

// numberAttr reads a required numeric attribute with parse, which returns
// the problem with the value, if any; what says what the attribute holds.
func (w *xmlWalker) numberAttr(t xml.StartElement, name, what string, parse func(string) (int, string)) (int, error) {
	if !hasAttr(t, name) {
		return 0, w.fail(fmt.Sprintf("<%s> has no %s attribute%s", t.Name.Local, name, what))
	}
	v := attr(t, name)
	n, problem := parse(v)
	if problem != "" {
		return 0, w.fail(fmt.Sprintf("%s=%q %s", name, clip(v), problem))
	}
	return n, nil
}
