package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Decode reads a complete safetensors file from r. It reads r to its end and
// checks the whole file: the header must be a JSON object no longer than
// MaxHeaderSize whose tensor entries have known dtypes, non-negative
// dimensions and data offsets that match their shapes, and the tensors must
// cover the data buffer exactly, without gaps or overlaps. Any violation gives
// an error naming the offending tensor.
func Decode(r io.Reader) (*File, error) {
	f, err := decode(r, -1)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

// Unmarshal decodes the safetensors file held in b, with the checks of Decode.
// The returned tensors do not share memory with b.
func Unmarshal(b []byte) (*File, error) {
	f, err := decode(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

// ReadFile reads the safetensors file at path, with the checks of Decode.
// Errors name the file.
func ReadFile(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fd.Close()
	size := int64(-1)
	if fi, err := fd.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	f, err := decode(bufio.NewReader(fd), size)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return f, nil
}

// entry is a tensor entry of a header: its name, type, shape and data range.
type entry struct {
	name       string
	dtype      DType
	shape      []int
	begin, end int64
}

// decode reads a safetensors file from r. size is the total number of bytes r
// holds, or -1 if unknown; a known size lets decode reject a bad header length
// or bad offsets before allocating memory for them.
func decode(r io.Reader, size int64) (*File, error) {
	var lenBuf [8]byte
	if n, err := io.ReadFull(r, lenBuf[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("file too short: %d bytes, need at least 8 for the header length", n)
		}
		return nil, fmt.Errorf("read header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if size >= 0 && n > uint64(size-8) {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes that follow it", n, size-8)
	}
	header := make([]byte, n)
	if got, err := io.ReadFull(r, header); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("header length %d exceeds the %d bytes that follow it", n, got)
		}
		return nil, fmt.Errorf("read header: %w", err)
	}
	meta, entries, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	total, err := checkLayout(entries)
	if err != nil {
		return nil, err
	}

	// Read the data buffer, which must hold exactly total bytes.
	var buf []byte
	if size >= 0 {
		avail := size - 8 - int64(n)
		if err := checkBufferSize(entries, total, avail); err != nil {
			return nil, err
		}
		buf = make([]byte, total)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("read data buffer: %w", err)
		}
	} else {
		// The size is unknown: let the buffer grow as data arrive rather
		// than trusting the offsets with an allocation.
		var bb bytes.Buffer
		got, err := io.CopyN(&bb, r, total)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read data buffer: %w", err)
		}
		if got < total {
			return nil, checkBufferSize(entries, total, got)
		}
		var one [1]byte
		if m, _ := io.ReadFull(r, one[:]); m > 0 {
			return nil, fmt.Errorf("the data buffer has more than the %d bytes the tensors cover", total)
		}
		buf = bb.Bytes()
	}

	f := &File{Metadata: meta, Tensors: make(map[string]Tensor, len(entries))}
	for _, e := range entries {
		f.Tensors[e.name] = Tensor{DType: e.dtype, Shape: e.shape, Data: buf[e.begin:e.end:e.end]}
	}
	return f, nil
}

// checkLayout sorts entries by their data offsets and checks that they tile
// the data buffer from byte 0 without gaps or overlaps. It returns the size
// of the buffer they cover.
func checkLayout(entries []entry) (int64, error) {
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].begin != entries[j].begin {
			return entries[i].begin < entries[j].begin
		}
		return entries[i].end < entries[j].end
	})
	var pos int64
	prev := ""
	for _, e := range entries {
		switch {
		case e.begin > pos && prev == "":
			return 0, fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap: the data buffer starts at 0", e.name, e.begin, e.end)
		case e.begin > pos:
			return 0, fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap after tensor %q, which ends at %d", e.name, e.begin, e.end, prev, pos)
		case e.begin < pos:
			return 0, fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q, which ends at %d", e.name, e.begin, e.end, prev, pos)
		}
		pos = e.end
		prev = e.name
	}
	return pos, nil
}

// checkBufferSize returns an error unless the avail bytes of the data buffer
// are exactly the total bytes that the entries, sorted by offset, cover.
func checkBufferSize(entries []entry, total, avail int64) error {
	switch {
	case total > avail:
		for _, e := range entries {
			if e.end > avail {
				return fmt.Errorf("tensor %q: data_offsets [%d, %d] are out of range: the data buffer has %d bytes", e.name, e.begin, e.end, avail)
			}
		}
		return fmt.Errorf("the tensors cover %d bytes, but the data buffer has only %d", total, avail)
	case total < avail:
		return fmt.Errorf("the data buffer has %d bytes, but the tensors cover only %d", avail, total)
	}
	return nil
}

// parseHeader parses and checks the JSON header h. It returns the metadata
// (nil if absent) and the tensor entries, in header order.
func parseHeader(h []byte) (map[string]string, []entry, error) {
	if len(h) == 0 || h[0] != '{' {
		return nil, nil, errors.New("header does not start with '{'")
	}
	if err := checkHeaderLength(h); err != nil {
		return nil, nil, err
	}
	if !utf8.Valid(h) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(h))
	dec.UseNumber()
	p := headerParser{dec: dec}
	meta, entries, err := p.parse()
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("header is not valid JSON: %w", err)
		}
		return nil, nil, err
	}
	return meta, entries, nil
}

// checkHeaderLength reports a header length field that does not match the
// JSON header: one that cuts the JSON object short, or one that takes in
// bytes after it (the start of the data buffer, typically not UTF-8). Other
// problems are left to the parser, which names them more precisely.
func checkHeaderLength(h []byte) error {
	dec := json.NewDecoder(bytes.NewReader(h))
	var raw json.RawMessage
	err := dec.Decode(&raw)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("header is not valid JSON: the %d bytes that the header length field announces end inside the JSON object (is the length field too small, or the file truncated?)", len(h))
	case err != nil:
		return nil
	}
	end := dec.InputOffset()
	rest := bytes.TrimLeft(h[end:], " \t\r\n")
	if len(rest) == 0 || bytes.ContainsRune([]byte("{[\"-0123456789tfn"), rune(rest[0])) {
		return nil
	}
	return fmt.Errorf("header is not valid JSON: the JSON object ends after %d of the %d bytes that the header length field announces, and %d bytes that are not JSON follow it (is the length field too large?)", end, len(h), len(rest))
}

// headerParser reads a header token by token, which, unlike decoding into Go
// values, sees duplicate keys and keeps the exact spelling of keys.
type headerParser struct {
	dec *json.Decoder
}

// parse reads the header object and checks that nothing but white space
// follows it.
func (p headerParser) parse() (map[string]string, []entry, error) {
	if err := p.delim('{'); err != nil {
		return nil, nil, err
	}
	var (
		meta    map[string]string
		entries []entry
		seen    = make(map[string]bool)
	)
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return nil, nil, err
		}
		if seen[key] {
			if key == metadataKey {
				return nil, nil, fmt.Errorf("header has two %q entries", metadataKey)
			}
			return nil, nil, fmt.Errorf("tensor %q: duplicate name in header", key)
		}
		seen[key] = true
		if key == metadataKey {
			if meta, err = p.metadata(); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := p.tensor(key)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if err := p.delim('}'); err != nil {
		return nil, nil, err
	}
	if tok, err := p.dec.Token(); err != io.EOF {
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("header has data after its JSON object: %v", tok)
	}
	return meta, entries, nil
}

// token reads the next token, turning a clean end of input into
// io.ErrUnexpectedEOF: inside the header object, more input is always due.
func (p headerParser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err == io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	return tok, err
}

// delim reads the next token and checks that it is the delimiter want.
func (p headerParser) delim(want json.Delim) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("header is not valid: want %q, found %v", string(want), describe(tok))
	}
	return nil
}

// key reads an object key.
func (p headerParser) key() (string, error) {
	tok, err := p.token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("header is not valid: want an object key, found %v", describe(tok))
	}
	return s, nil
}

// metadata reads the "__metadata__" value: an object of strings, or null.
func (p headerParser) metadata() (map[string]string, error) {
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%s is %v, not an object of strings", metadataKey, describe(tok))
	}
	meta := make(map[string]string)
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		if _, dup := meta[key]; dup {
			return nil, fmt.Errorf("%s has key %q twice", metadataKey, key)
		}
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		val, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("%s value of %q is %v, not a string", metadataKey, key, describe(tok))
		}
		meta[key] = val
	}
	if err := p.delim('}'); err != nil {
		return nil, err
	}
	return meta, nil
}

// tensor reads the entry of the tensor called name and checks it on its own:
// known dtype, non-negative dimensions, offsets in order and matching the
// shape.
func (p headerParser) tensor(name string) (entry, error) {
	e := entry{name: name}
	fail := func(format string, args ...any) (entry, error) {
		return entry{}, fmt.Errorf("tensor %q: "+format, append([]any{name}, args...)...)
	}
	tok, err := p.token()
	if err != nil {
		return entry{}, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fail("entry is %v, not an object", describe(tok))
	}
	var haveDType, haveShape, haveOffsets bool
	var offsets []int64
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return entry{}, err
		}
		switch key {
		case "dtype":
			if haveDType {
				return fail("duplicate field %q", key)
			}
			haveDType = true
			tok, err := p.token()
			if err != nil {
				return entry{}, err
			}
			s, ok := tok.(string)
			if !ok {
				return fail("dtype is %v, not a string", describe(tok))
			}
			e.dtype = DType(s)
			if e.dtype.Size() == 0 {
				return fail("unknown dtype %q", s)
			}
		case "shape":
			if haveShape {
				return fail("duplicate field %q", key)
			}
			haveShape = true
			dims, err := p.ints(name, key)
			if err != nil {
				return entry{}, err
			}
			e.shape = make([]int, len(dims))
			for i, d := range dims {
				if d < 0 {
					return fail("shape %v has a negative dimension", dims)
				}
				if d > math.MaxInt {
					return fail("shape %v has a dimension too large", dims)
				}
				e.shape[i] = int(d)
			}
		case "data_offsets":
			if haveOffsets {
				return fail("duplicate field %q", key)
			}
			haveOffsets = true
			if offsets, err = p.ints(name, key); err != nil {
				return entry{}, err
			}
		default:
			return fail("unknown field %q", key)
		}
	}
	if err := p.delim('}'); err != nil {
		return entry{}, err
	}
	switch {
	case !haveDType:
		return fail(`missing field "dtype"`)
	case !haveShape:
		return fail(`missing field "shape"`)
	case !haveOffsets:
		return fail(`missing field "data_offsets"`)
	}
	if len(offsets) != 2 {
		return fail("data_offsets has %d numbers, want 2 (begin and end)", len(offsets))
	}
	e.begin, e.end = offsets[0], offsets[1]
	if e.begin < 0 || e.end < e.begin {
		return fail("data_offsets [%d, %d] are not an increasing range of bytes", e.begin, e.end)
	}
	want, err := byteSize(e.dtype, e.shape)
	if err != nil {
		return fail("%v", err)
	}
	if int64(want) != e.end-e.begin {
		return fail("shape %v of dtype %s needs %d bytes, but data_offsets [%d, %d] span %d", e.shape, e.dtype, want, e.begin, e.end, e.end-e.begin)
	}
	return e, nil
}

// ints reads a JSON array of integers, the value of field of tensor name.
func (p headerParser) ints(name, field string) ([]int64, error) {
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("tensor %q: %s is %v, not an array of integers", name, field, describe(tok))
	}
	out := []int64{}
	for p.dec.More() {
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, fmt.Errorf("tensor %q: %s holds %v, not an integer", name, field, describe(tok))
		}
		v, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %s holds %s, not an integer in range", name, field, num)
		}
		out = append(out, v)
	}
	if err := p.delim(']'); err != nil {
		return nil, err
	}
	return out, nil
}

// describe names a JSON token for an error message.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		switch v {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return fmt.Sprintf("%q", string(v))
	case string:
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return "the number " + string(v)
	case bool:
		return fmt.Sprintf("%t", v)
	}
	return fmt.Sprintf("%v", tok)
}
