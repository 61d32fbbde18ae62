package dataset

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// npyMagic starts every NPY file.
const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the length of an NPY header; NumPy's own limit for
// reading is 10000 bytes.
const maxNPYHeader = 1 << 20

// npyDtypes lists the supported NPY dtypes in error messages.
const npyDtypes = "|b1, |i1, |u1, <i2, <u2, <i4, <u4, <i8, <u8, <f4, <f8, or > for big-endian"

// DecodeNPY reads a NumPy .npy array, gzip-compressed or not: format
// version 1.0, 2.0 or 3.0, in C order, of a bool, integer or floating-point
// dtype of either byte order. A 1-D array of length n is n points of
// dimension 1; a 2-D array n×d is n points of dimension d; a 3-D array
// n×r×c is n images of r×c. Unsigned bytes (|u1) are taken to be pixel
// intensities and scaled to [0, 1] by 1/255, as IDX files are, unless every
// byte is 0 or 1: such an array holds binarised data, which are kept as
// they are (and marked Binary). Other values are kept as they are, and must
// be finite and within the range of float32. name is used in error
// messages and as the data set's Name.
func DecodeNPY(r io.Reader, name string) (*Dataset, error) { return decodeNPY(r, name, Limits{}) }

// decodeNPY is DecodeNPY within lim.
func decodeNPY(r io.Reader, name string, lim Limits) (*Dataset, error) {
	br, err := input(r, name)
	if err != nil {
		return nil, err
	}
	var pre [10]byte
	if k, err := io.ReadFull(br, pre[:]); err != nil {
		if err := readError(name, err); err != nil {
			return nil, err
		}
		if k < len(npyMagic) || string(pre[:len(npyMagic)]) != npyMagic {
			return nil, atOffset(name, 0, "not an NPY file: want the magic string \\x93NUMPY, found %q", pre[:k])
		}
		return nil, atOffset(name, int64(k), "truncated: want a 10-byte NPY preamble, found %d bytes", k)
	}
	if string(pre[:len(npyMagic)]) != npyMagic {
		return nil, atOffset(name, 0, "not an NPY file: want the magic string \\x93NUMPY, found %q", pre[:len(npyMagic)])
	}
	major, minor := pre[6], pre[7]
	var hlen int64
	hstart := int64(10)
	switch major {
	case 1:
		hlen = int64(binary.LittleEndian.Uint16(pre[8:]))
	case 2, 3:
		var b [2]byte
		if k, err := io.ReadFull(br, b[:]); err != nil {
			if err := readError(name, err); err != nil {
				return nil, err
			}
			return nil, atOffset(name, 10+int64(k), "truncated: want a 4-byte header length, found %d bytes", 2+k)
		}
		hlen = int64(binary.LittleEndian.Uint32([]byte{pre[8], pre[9], b[0], b[1]}))
		hstart = 12
	default:
		return nil, atOffset(name, 6, "NPY format version %d.%d, want 1.0, 2.0 or 3.0", major, minor)
	}
	if hlen > maxNPYHeader {
		return nil, atOffset(name, 8, "header length %d, more than the limit of %d bytes", hlen, maxNPYHeader)
	}
	hdr, err := readN(br, hlen)
	if err != nil {
		if err := readError(name, err); err != nil {
			return nil, err
		}
		return nil, atOffset(name, hstart, "truncated: want a %d-byte header, found %d bytes", hlen, len(hdr))
	}
	h, herr := parseNPYHeader(string(hdr))
	if herr != nil {
		return nil, atOffset(name, hstart+int64(herr.pos), "header: %s", herr.msg)
	}
	dt, ok := parseDtype(h.descr)
	if !ok {
		return nil, atOffset(name, hstart, "unsupported dtype '%s' (want one of %s)", h.descr, npyDtypes)
	}
	if h.fortran && len(h.shape) > 1 {
		return nil, atOffset(name, hstart, "fortran_order is True: Fortran-order arrays are not supported (save a C-order array, e.g. np.ascontiguousarray(x))")
	}
	if len(h.shape) < 1 || len(h.shape) > 3 {
		return nil, atOffset(name, hstart, "shape %v has %d dimensions, want 1, 2 or 3", h.shapeString(), len(h.shape))
	}
	count := int64(1)
	for _, s := range h.shape {
		if s > maxElements || count*s > maxElements {
			return nil, atOffset(name, hstart, "shape %s: more than the limit of %d values", h.shapeString(), maxElements)
		}
		count *= s
	}
	n, d := h.shape[0], int64(1)
	for _, s := range h.shape[1:] {
		d *= s
	}
	if d == 0 {
		return nil, atOffset(name, hstart, "shape %s: points of dimension 0, want at least 1", h.shapeString())
	}
	dstart := hstart + hlen
	partial := lim.limited(n)
	if partial {
		n = lim.points(n)
		count = n * d
	}
	if err := lim.check(name, count); err != nil {
		return nil, err
	}
	raw, err := readN(br, count*int64(dt.size))
	if err != nil {
		if err := readError(name, err); err != nil {
			return nil, err
		}
		return nil, atOffset(name, dstart, "truncated: shape %s of %s needs %d data bytes, found %d", h.shapeString(), h.descr, count*int64(dt.size), len(raw))
	}
	if !partial {
		var extra [1]byte
		if k, err := io.ReadFull(br, extra[:]); k > 0 {
			return nil, atOffset(name, dstart+count*int64(dt.size), "unexpected bytes after the %d data bytes of shape %s", count*int64(dt.size), h.shapeString())
		} else if err := readError(name, err); err != nil {
			return nil, err
		}
	}
	if dt.kind == 'u' && dt.size == 1 {
		ds := newDataset(name, int(n), int(d), pixels(raw))
		if len(h.shape) == 3 {
			ds.Rows, ds.Cols = int(h.shape[1]), int(h.shape[2])
		}
		return ds, nil
	}
	x := make([]float32, count)
	for i := range x {
		v := dt.value(raw[i*dt.size : (i+1)*dt.size])
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
			what := "not finite (want finite values)"
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				what = "out of the range of float32"
			}
			return nil, atOffset(name, dstart+int64(i*dt.size), "element %s is %v: %s", elementIndex(int64(i), h.shape), v, what)
		}
		x[i] = float32(v)
	}
	ds := newDataset(name, int(n), int(d), x)
	if len(h.shape) == 3 {
		ds.Rows, ds.Cols = int(h.shape[1]), int(h.shape[2])
	}
	return ds, nil
}

// elementIndex returns the NumPy index of flat element i of an array of
// the given shape, as in "[3, 1]".
func elementIndex(i int64, shape []int64) string {
	idx := make([]string, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = strconv.FormatInt(i%shape[k], 10)
		i /= shape[k]
	}
	return "[" + strings.Join(idx, ", ") + "]"
}

// npyDtype is a supported element type.
type npyDtype struct {
	kind byte // 'b', 'i', 'u' or 'f'
	size int
	big  bool
}

// parseDtype parses a NumPy type string such as "<f4".
func parseDtype(s string) (npyDtype, bool) {
	if len(s) != 3 {
		return npyDtype{}, false
	}
	dt := npyDtype{kind: s[1], size: int(s[2] - '0'), big: s[0] == '>'}
	switch s[0] {
	case '<', '>':
	case '|':
		if dt.size != 1 {
			return npyDtype{}, false
		}
	default:
		return npyDtype{}, false
	}
	switch dt.kind {
	case 'b':
		return dt, dt.size == 1
	case 'i', 'u':
		return dt, dt.size == 1 || dt.size == 2 || dt.size == 4 || dt.size == 8
	case 'f':
		return dt, dt.size == 4 || dt.size == 8
	}
	return npyDtype{}, false
}

// value decodes one element; unsigned bytes are scaled by 1/255 (DecodeNPY
// converts whole byte arrays with pixels instead).
func (dt npyDtype) value(b []byte) float64 {
	var order binary.ByteOrder = binary.LittleEndian
	if dt.big {
		order = binary.BigEndian
	}
	var u uint64
	switch dt.size {
	case 1:
		u = uint64(b[0])
	case 2:
		u = uint64(order.Uint16(b))
	case 4:
		u = uint64(order.Uint32(b))
	case 8:
		u = order.Uint64(b)
	}
	switch dt.kind {
	case 'b':
		if u != 0 {
			return 1
		}
		return 0
	case 'u':
		if dt.size == 1 {
			return float64(float32(u) / 255)
		}
		return float64(u)
	case 'i':
		shift := 64 - 8*dt.size
		return float64(int64(u<<shift) >> shift)
	}
	if dt.size == 4 {
		return float64(math.Float32frombits(uint32(u)))
	}
	return math.Float64frombits(u)
}

// npyHeader is the content of an NPY header dictionary.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int64
}

// shapeString returns the shape as NumPy writes it, e.g. "(3, 4)".
func (h *npyHeader) shapeString() string {
	s := make([]string, len(h.shape))
	for i, v := range h.shape {
		s[i] = strconv.FormatInt(v, 10)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// headerError is a syntax error at byte pos of an NPY header.
type headerError struct {
	pos int
	msg string
}

// npyParser parses the Python dictionary literal of an NPY header.
type npyParser struct {
	s   string
	pos int
}

func (p *npyParser) errorf(format string, args ...any) *headerError {
	return &headerError{pos: p.pos, msg: fmt.Sprintf(format, args...)}
}

func (p *npyParser) skipSpace() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

// found describes the input at the current position for a message.
func (p *npyParser) found() string {
	if p.pos >= len(p.s) {
		return "end of header"
	}
	s := strings.TrimRight(p.s[p.pos:min(len(p.s), p.pos+16)], " \t\r\n")
	if p.pos+16 < len(p.s) && strings.TrimSpace(p.s[p.pos+16:]) != "" {
		s += "…"
	}
	return strconv.Quote(s)
}

// expect consumes c after optional space.
func (p *npyParser) expect(c byte) *headerError {
	p.skipSpace()
	if p.pos >= len(p.s) || p.s[p.pos] != c {
		return p.errorf("want '%c', found %s", c, p.found())
	}
	p.pos++
	return nil
}

// peek returns the next byte after optional space, or 0 at the end.
func (p *npyParser) peek() byte {
	p.skipSpace()
	if p.pos >= len(p.s) {
		return 0
	}
	return p.s[p.pos]
}

// str parses a Python string literal in single or double quotes.
func (p *npyParser) str() (string, *headerError) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errorf("want a quoted string, found %s", p.found())
	}
	end := strings.IndexByte(p.s[p.pos+1:], q)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	s := p.s[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	return s, nil
}

// word parses a run of letters, digits and underscores.
func (p *npyParser) word() string {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c != '_' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			break
		}
		p.pos++
	}
	return p.s[start:p.pos]
}

// parseNPYHeader parses a header such as
// "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }".
func parseNPYHeader(s string) (*npyHeader, *headerError) {
	p := &npyParser{s: s}
	h := &npyHeader{}
	seen := map[string]bool{}
	if err := p.expect('{'); err != nil {
		return nil, err
	}
	for p.peek() != '}' {
		keyPos := p.pos
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, &headerError{pos: keyPos, msg: fmt.Sprintf("key '%s' appears twice", key)}
		}
		seen[key] = true
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		switch key {
		case "descr":
			if p.peek() == '[' {
				return nil, p.errorf("structured dtype: want a plain dtype such as '<f4'")
			}
			if h.descr, err = p.str(); err != nil {
				return nil, err
			}
		case "fortran_order":
			switch w := p.word(); w {
			case "True":
				h.fortran = true
			case "False":
			default:
				return nil, p.errorf("fortran_order %q, want True or False", w)
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return nil, err
			}
		default:
			return nil, &headerError{pos: keyPos, msg: fmt.Sprintf("unexpected key '%s' (want descr, fortran_order and shape)", key)}
		}
		if c := p.peek(); c == ',' {
			p.pos++
		} else if c != '}' {
			return nil, p.errorf("want ',' or '}', found %s", p.found())
		}
	}
	if err := p.expect('}'); err != nil {
		return nil, err
	}
	if p.peek() != 0 {
		return nil, p.errorf("unexpected %s after the dictionary", p.found())
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return nil, &headerError{pos: 0, msg: fmt.Sprintf("no '%s' key", k)}
		}
	}
	return h, nil
}

// tuple parses a tuple of non-negative integers, such as "(3, 4)" or "(3,)".
func (p *npyParser) tuple() ([]int64, *headerError) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	var t []int64
	for p.peek() != ')' {
		start := p.pos
		w := p.word()
		w = strings.TrimSuffix(w, "L") // Python 2 long integers
		v, err := strconv.ParseInt(w, 10, 64)
		if err != nil || v < 0 {
			p.pos = start
			return nil, p.errorf("want a non-negative integer in shape, found %s", p.found())
		}
		t = append(t, v)
		if c := p.peek(); c == ',' {
			p.pos++
		} else if c != ')' {
			return nil, p.errorf("want ',' or ')' in shape, found %s", p.found())
		}
	}
	if err := p.expect(')'); err != nil {
		return nil, err
	}
	return t, nil
}
