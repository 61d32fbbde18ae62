package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// handWritten is a safetensors file written byte by byte from the format
// specification, independently of Encode. Its header lists the tensors out of
// data order and ends in padding spaces; it holds a scalar, a matrix, an F16
// vector and an empty tensor.
var handWritten = func() []byte {
	header := `{"__metadata__":{"latent":"2","hidden":"200,200"},` +
		`"w":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},` +
		`"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]},` +
		`"h":{"dtype":"F16","shape":[1],"data_offsets":[24,26]},` +
		`"e":{"dtype":"U8","shape":[0,3],"data_offsets":[26,26]}}` +
		"   " // 269 bytes of JSON padded to 272
	b := []byte{0x10, 0x01, 0, 0, 0, 0, 0, 0} // 272, little-endian u64
	b = append(b, header...)
	b = append(b,
		// s: F64 0.5 = 0x3fe0000000000000
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f,
		// w: F32 1, -2.5, 0.25, 3 = 0x3f800000, 0xc0200000, 0x3e800000, 0x40400000
		0x00, 0x00, 0x80, 0x3f,
		0x00, 0x00, 0x20, 0xc0,
		0x00, 0x00, 0x80, 0x3e,
		0x00, 0x00, 0x40, 0x40,
		// h: F16 -2 = 0xc000
		0x00, 0xc0,
	)
	return b
}()

func TestDecodeHandWritten(t *testing.T) {
	if n := binary.LittleEndian.Uint64(handWritten); n != 272 || n%8 != 0 {
		t.Fatalf("fixture header length %d, want 272", n)
	}
	f, err := Unmarshal(handWritten)
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	wantMeta := map[string]string{"latent": "2", "hidden": "200,200"}
	if !reflect.DeepEqual(f.Metadata, wantMeta) {
		t.Errorf("metadata = %v, want %v", f.Metadata, wantMeta)
	}
	if got, want := f.Names(), []string{"e", "h", "s", "w"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name  string
		dtype DType
		shape []int
		n     int
		vals  []float64 // nil: not a float tensor
	}{
		{name: "s", dtype: F64, shape: []int{}, n: 1, vals: []float64{0.5}},
		{name: "w", dtype: F32, shape: []int{2, 2}, n: 4, vals: []float64{1, -2.5, 0.25, 3}},
		{name: "h", dtype: F16, shape: []int{1}, n: 1, vals: []float64{-2}},
		{name: "e", dtype: U8, shape: []int{0, 3}, n: 0},
	} {
		tn, ok := f.Tensors[tc.name]
		if !ok {
			t.Errorf("tensor %q missing", tc.name)
			continue
		}
		if tn.DType != tc.dtype || !reflect.DeepEqual(tn.Shape, tc.shape) || tn.NumElements() != tc.n {
			t.Errorf("tensor %q: dtype %s shape %v (%d elements), want %s %v (%d)",
				tc.name, tn.DType, tn.Shape, tn.NumElements(), tc.dtype, tc.shape, tc.n)
		}
		if len(tn.Data) != tc.n*tc.dtype.Size() {
			t.Errorf("tensor %q: %d data bytes, want %d", tc.name, len(tn.Data), tc.n*tc.dtype.Size())
		}
		if tc.vals == nil {
			continue
		}
		got, err := tn.Float64s()
		if err != nil {
			t.Errorf("tensor %q: Float64s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.vals) {
			t.Errorf("tensor %q: values %v, want %v", tc.name, got, tc.vals)
		}
	}

	// The stream reader and the file reader agree with Unmarshal.
	g, err := Decode(bytes.NewReader(handWritten))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !filesEqual(f, g) {
		t.Errorf("Decode and Unmarshal disagree")
	}
	path := filepath.Join(t.TempDir(), "hand.safetensors")
	if err := os.WriteFile(path, handWritten, 0o644); err != nil {
		t.Fatal(err)
	}
	g, err = ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	if !filesEqual(f, g) {
		t.Errorf("ReadFile and Unmarshal disagree")
	}
}

// filesEqual reports whether a and b hold the same metadata (nil and empty
// being equal) and the same tensors (nil and empty data being equal).
func filesEqual(a, b *File) bool {
	if len(a.Metadata) != len(b.Metadata) || len(a.Tensors) != len(b.Tensors) {
		return false
	}
	for k, v := range a.Metadata {
		if w, ok := b.Metadata[k]; !ok || w != v {
			return false
		}
	}
	for name, ta := range a.Tensors {
		tb, ok := b.Tensors[name]
		if !ok || ta.DType != tb.DType || len(ta.Shape) != len(tb.Shape) || !bytes.Equal(ta.Data, tb.Data) {
			return false
		}
		for i := range ta.Shape {
			if ta.Shape[i] != tb.Shape[i] {
				return false
			}
		}
	}
	return true
}

func TestEncodeGolden(t *testing.T) {
	f := &File{
		Metadata: map[string]string{"latent": "2", "activation": "tanh"},
		Tensors: map[string]Tensor{
			"enc.0.weight": FromFloat32([]int{1, 2}, []float32{1, -2.5}),
			"enc.0.bias":   FromFloat32([]int{1}, []float32{0.25}),
		},
	}
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	header := `{"__metadata__":{"activation":"tanh","latent":"2"},` +
		`"enc.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},` +
		`"enc.0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[4,12]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	want := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	want = append(want, header...)
	want = append(want, 0x00, 0x00, 0x80, 0x3e) // 0.25
	want = append(want, 0x00, 0x00, 0x80, 0x3f) // 1
	want = append(want, 0x00, 0x00, 0x20, 0xc0) // -2.5
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Encode wrote\n%q\nwant\n%q", buf.Bytes(), want)
	}
}

func TestRoundTrip(t *testing.T) {
	raw := func(dtype DType, shape []int, data ...byte) Tensor {
		return Tensor{DType: dtype, Shape: shape, Data: data}
	}
	for _, tc := range []struct {
		name string
		file *File
	}{
		{name: "empty", file: &File{}},
		{name: "metadata only", file: &File{Metadata: map[string]string{"k": "v", "empty": ""}}},
		{name: "vae layout", file: &File{
			Metadata: map[string]string{"latent": "2", "hidden": "200,200", "activation": "tanh", "likelihood": "bernoulli"},
			Tensors: map[string]Tensor{
				"encoder.0.weight": FromFloat32([]int{3, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}),
				"encoder.0.bias":   FromFloat32([]int{3}, []float32{-1, 0, 1}),
				"encoder.2.weight": FromFloat32([]int{4, 3}, make([]float32, 12)),
				"encoder.2.bias":   FromFloat32([]int{4}, []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), -0}),
				"decoder.0.weight": FromFloat32([]int{3, 2}, []float32{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}),
			},
		}},
		{name: "scalar and empty", file: &File{Tensors: map[string]Tensor{
			"scalar": FromFloat64([]int{}, []float64{math.Pi}),
			"empty":  FromFloat32([]int{2, 0, 3}, nil),
			"zero":   FromFloat64([]int{0}, []float64{}),
		}}},
		{name: "every dtype", file: &File{Tensors: map[string]Tensor{
			"bool": raw(Bool, []int{3}, 1, 0, 1),
			"u8":   raw(U8, []int{1}, 255),
			"i8":   raw(I8, []int{1}, 0x80),
			"u16":  raw(U16, []int{1}, 1, 2),
			"i16":  raw(I16, []int{1}, 3, 4),
			"f16":  raw(F16, []int{1}, 0x00, 0x3c),
			"bf16": raw(BF16, []int{3}, 0x80, 0x3f, 0x20, 0xc0, 0, 0),
			"u32":  raw(U32, []int{1}, 1, 2, 3, 4),
			"i32":  raw(I32, []int{}, 5, 6, 7, 8),
			"f32":  FromFloat32([]int{1}, []float32{1}),
			"u64":  raw(U64, []int{1}, 1, 2, 3, 4, 5, 6, 7, 8),
			"i64":  raw(I64, []int{1}, 8, 7, 6, 5, 4, 3, 2, 1),
			"f64":  FromFloat64([]int{2}, []float64{-1, 1e300}),
		}}},
		{name: "awkward names", file: &File{
			Metadata: map[string]string{`quote"back\slash`: "<tag> & ünïcödé\n", "": "empty key"},
			Tensors: map[string]Tensor{
				"":          FromFloat32([]int{1}, []float32{1}),
				"a b/c<d>&": FromFloat32([]int{1}, []float32{2}),
				"日本":        FromFloat32([]int{1}, []float32{3}),
			},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, tc.file); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			b := buf.Bytes()
			n := binary.LittleEndian.Uint64(b)
			if n%8 != 0 {
				t.Errorf("header length %d is not a multiple of 8", n)
			}
			got, err := Unmarshal(b)
			if err != nil {
				t.Fatalf("Unmarshal: %v\nfile: %q", err, b)
			}
			if !filesEqual(got, tc.file) {
				t.Errorf("round trip changed the file:\ngot  %+v\nwant %+v", got, tc.file)
			}
			// Encoding is deterministic.
			var again bytes.Buffer
			if err := Encode(&again, got); err != nil {
				t.Fatalf("second Encode: %v", err)
			}
			if !bytes.Equal(again.Bytes(), b) {
				t.Errorf("re-encoding the decoded file gives different bytes")
			}
		})
	}
}

func TestEncodeAlignment(t *testing.T) {
	// Element sizes 1, 2 and 8 in one file: with decreasing-size order every
	// tensor is aligned; with plain name order "a" would push "z" off.
	f := &File{Tensors: map[string]Tensor{
		"a": {DType: U8, Shape: []int{3}, Data: []byte{1, 2, 3}},
		"m": {DType: F16, Shape: []int{1}, Data: []byte{0, 0x3c}},
		"z": FromFloat64([]int{1}, []float64{1}),
	}}
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	header := string(buf.Bytes()[8 : 8+binary.LittleEndian.Uint64(buf.Bytes())])
	for _, want := range []string{
		`"z":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}`,
		`"m":{"dtype":"F16","shape":[1],"data_offsets":[8,10]}`,
		`"a":{"dtype":"U8","shape":[3],"data_offsets":[10,13]}`,
	} {
		if !strings.Contains(header, want) {
			t.Errorf("header %s\ndoes not contain %s", header, want)
		}
	}
}

// withHeader returns a safetensors file with the given raw header (unpadded)
// and data buffer.
func withHeader(header string, data ...byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// tensorJSON returns a header entry for a tensor.
func tensorJSON(name, dtype, shape string, begin, end int) string {
	return fmt.Sprintf(`%q:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, name, dtype, shape, begin, end)
}

func TestDecodeMalformed(t *testing.T) {
	four := []byte{0, 0, 0x80, 0x3f}
	eight := append(append([]byte{}, four...), four...)
	for _, tc := range []struct {
		name string
		file []byte
		want string // a phrase the error must contain
	}{
		{name: "empty file", file: nil, want: "file too short: 0 bytes"},
		{name: "short length", file: []byte{1, 0, 0}, want: "file too short: 3 bytes"},
		{name: "header longer than file", file: append(binary.LittleEndian.AppendUint64(nil, 100), "{}"...), want: "header length 100 exceeds the 2 bytes that follow it"},
		{name: "header over 100 MB", file: binary.LittleEndian.AppendUint64(nil, 100_000_001), want: "header length 100000001 exceeds the limit of 100000000 bytes"},
		{name: "huge header length", file: binary.LittleEndian.AppendUint64(nil, math.MaxUint64), want: "exceeds the limit"},
		{name: "empty header", file: withHeader(""), want: "header does not start with '{'"},
		{name: "header is an array", file: withHeader("[]"), want: "header does not start with '{'"},
		{name: "leading space", file: withHeader(" {}"), want: "header does not start with '{'"},
		{name: "not JSON", file: withHeader("{abc}"), want: "header is not valid JSON"},
		{name: "truncated JSON", file: withHeader(`{"a":{"dtype":"F32"`), want: "header is not valid JSON"},
		{name: "trailing comma", file: withHeader(`{` + tensorJSON("a", "F32", "[0]", 0, 0) + `,}`), want: "header is not valid JSON"},
		{name: "invalid UTF-8", file: withHeader("{\"\xff\":1}"), want: "header is not valid UTF-8"},
		{name: "second object", file: withHeader("{}{}"), want: "header has data after its JSON object"},
		{name: "nul padding", file: withHeader("{}\x00\x00"), want: "header is not valid JSON"},
		{name: "entry not object", file: withHeader(`{"a":5}`), want: `tensor "a": entry is the number 5, not an object`},
		{name: "unknown dtype", file: withHeader(`{`+tensorJSON("w", "F8", "[1]", 0, 1)+`}`, 0), want: `tensor "w": unknown dtype "F8"`},
		{name: "lower-case dtype", file: withHeader(`{`+tensorJSON("w", "f32", "[1]", 0, 4)+`}`, four...), want: `tensor "w": unknown dtype "f32"`},
		{name: "dtype not string", file: withHeader(`{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, four...), want: `tensor "w": dtype is the number 4, not a string`},
		{name: "size mismatch", file: withHeader(`{`+tensorJSON("w", "F32", "[2,2]", 0, 8)+`}`, eight...), want: `tensor "w": shape [2 2] of dtype F32 needs 16 bytes, but data_offsets [0, 8] span 8`},
		{name: "scalar size", file: withHeader(`{`+tensorJSON("s", "F32", "[]", 0, 8)+`}`, eight...), want: `tensor "s": shape [] of dtype F32 needs 4 bytes`},
		{name: "negative dimension", file: withHeader(`{` + tensorJSON("w", "F32", "[-1,2]", 0, 0) + `}`), want: `tensor "w": shape [-1 2] has a negative dimension`},
		{name: "fractional dimension", file: withHeader(`{`+tensorJSON("w", "F32", "[1.5]", 0, 4)+`}`, four...), want: `tensor "w": shape holds 1.5, not an integer`},
		{name: "dimension out of range", file: withHeader(`{`+tensorJSON("w", "F32", "[1e30]", 0, 4)+`}`, four...), want: "not an integer"},
		{name: "shape not array", file: withHeader(`{"w":{"dtype":"F32","shape":4,"data_offsets":[0,4]}}`, four...), want: `tensor "w": shape is the number 4, not an array of integers`},
		{name: "shape overflow", file: withHeader(`{`+tensorJSON("w", "F32", "[4294967296,4294967296,4]", 0, 4)+`}`, four...), want: `tensor "w": shape [4294967296 4294967296 4] has too many elements`},
		{name: "offsets reversed", file: withHeader(`{` + tensorJSON("w", "F32", "[0]", 4, 0) + `}`), want: `tensor "w": data_offsets [4, 0] are not an increasing range`},
		{name: "negative offset", file: withHeader(`{` + tensorJSON("w", "F32", "[1]", -4, 0) + `}`), want: `data_offsets [-4, 0] are not an increasing range`},
		{name: "three offsets", file: withHeader(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, four...), want: `tensor "w": data_offsets has 3 numbers, want 2`},
		{name: "string offsets", file: withHeader(`{"w":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}`, four...), want: `tensor "w": data_offsets holds the string "0", not an integer`},
		{name: "offsets out of range", file: withHeader(`{`+tensorJSON("w", "F32", "[2]", 0, 8)+`}`, four...), want: `tensor "w": data_offsets [0, 8] are out of range: the data buffer has 4 bytes`},
		{name: "overlap", file: withHeader(`{`+tensorJSON("a", "F32", "[2]", 0, 8)+`,`+tensorJSON("b", "F32", "[1]", 4, 8)+`}`, eight...), want: `tensor "b": data_offsets [4, 8] overlap tensor "a", which ends at 8`},
		{name: "same range twice", file: withHeader(`{`+tensorJSON("a", "F32", "[1]", 0, 4)+`,`+tensorJSON("b", "F32", "[1]", 0, 4)+`}`, four...), want: "overlap tensor"},
		{name: "empty tensor inside another", file: withHeader(`{`+tensorJSON("a", "F32", "[2]", 0, 8)+`,`+tensorJSON("e", "F32", "[0]", 4, 4)+`}`, eight...), want: `tensor "e": data_offsets [4, 4] overlap tensor "a"`},
		{name: "gap between", file: withHeader(`{`+tensorJSON("a", "F32", "[1]", 0, 4)+`,`+tensorJSON("b", "F32", "[1]", 8, 12)+`}`, append(eight, four...)...), want: `tensor "b": data_offsets [8, 12] leave a gap after tensor "a", which ends at 4`},
		{name: "gap at start", file: withHeader(`{`+tensorJSON("a", "F32", "[1]", 4, 8)+`}`, eight...), want: `tensor "a": data_offsets [4, 8] leave a gap: the data buffer starts at 0`},
		{name: "buffer not covered", file: withHeader(`{`+tensorJSON("a", "F32", "[1]", 0, 4)+`}`, eight...), want: "the tensors cover"},
		{name: "data without tensors", file: withHeader(`{}`, 1), want: "the tensors cover"},
		{name: "metadata value not string", file: withHeader(`{"__metadata__":{"latent":2}}`), want: `__metadata__ value of "latent" is the number 2, not a string`},
		{name: "metadata value object", file: withHeader(`{"__metadata__":{"x":{}}}`), want: `__metadata__ value of "x" is an object, not a string`},
		{name: "metadata not object", file: withHeader(`{"__metadata__":["a"]}`), want: "__metadata__ is an array, not an object of strings"},
		{name: "metadata twice", file: withHeader(`{"__metadata__":{},"__metadata__":{}}`), want: `header has two "__metadata__" entries`},
		{name: "metadata key twice", file: withHeader(`{"__metadata__":{"a":"1","a":"2"}}`), want: `__metadata__ has key "a" twice`},
		{name: "duplicate tensor", file: withHeader(`{`+tensorJSON("w", "F32", "[1]", 0, 4)+`,`+tensorJSON("w", "F32", "[1]", 4, 8)+`}`, eight...), want: `tensor "w": duplicate name in header`},
		{name: "duplicate field", file: withHeader(`{"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, four...), want: `tensor "w": duplicate field "dtype"`},
		{name: "missing dtype", file: withHeader(`{"w":{"shape":[1],"data_offsets":[0,4]}}`, four...), want: `tensor "w": missing field "dtype"`},
		{name: "missing shape", file: withHeader(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`, four...), want: `tensor "w": missing field "shape"`},
		{name: "missing offsets", file: withHeader(`{"w":{"dtype":"F32","shape":[1]}}`, four...), want: `tensor "w": missing field "data_offsets"`},
		{name: "unknown field", file: withHeader(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"Dtype":"F32"}}`, four...), want: `tensor "w": unknown field "Dtype"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(how string, f *File, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s accepted a malformed file: %+v", how, f)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s error %q does not contain %q", how, err, tc.want)
				}
				if !strings.HasPrefix(err.Error(), "safetensors: ") {
					t.Errorf("%s error %q does not start with the package name", how, err)
				}
			}
			f, err := Unmarshal(tc.file)
			check("Unmarshal", f, err)
			// A reader whose size is unknown gives the same messages.
			f, err = Decode(bytes.NewReader(tc.file))
			check("Decode", f, err)
			path := filepath.Join(t.TempDir(), "bad.safetensors")
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err = ReadFile(path)
			check("ReadFile", f, err)
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Errorf("ReadFile error %q does not name the file %s", err, path)
			}
		})
	}
}

func TestReadFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.safetensors")
	_, err := ReadFile(path)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadFile of a missing file: error %v, want a not-exist error naming %s", err, path)
	}
}

// errReader fails after returning its data.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestDecodeReadError(t *testing.T) {
	errDisk := errors.New("disk on fire")
	for _, cut := range []int{4, 100, len(handWritten) - 3} {
		_, err := Decode(&errReader{data: handWritten[:cut], err: errDisk})
		if !errors.Is(err, errDisk) {
			t.Errorf("cut at %d: error %v does not wrap the read error", cut, err)
		}
	}
}

func TestEncodeInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		file *File
		want string
	}{
		{name: "nil file", file: nil, want: "nil *File"},
		{name: "unknown dtype", file: &File{Tensors: map[string]Tensor{"w": {DType: "F8", Shape: []int{1}, Data: []byte{0}}}}, want: `tensor "w": unknown dtype "F8"`},
		{name: "empty dtype", file: &File{Tensors: map[string]Tensor{"w": {Shape: []int{1}, Data: []byte{0}}}}, want: `tensor "w": unknown dtype ""`},
		{name: "short data", file: &File{Tensors: map[string]Tensor{"w": {DType: F32, Shape: []int{2}, Data: make([]byte, 4)}}}, want: `tensor "w": data has 4 bytes, but shape [2] of dtype F32 needs 8`},
		{name: "negative dimension", file: &File{Tensors: map[string]Tensor{"w": {DType: F32, Shape: []int{-1}}}}, want: `tensor "w": shape [-1] has a negative dimension`},
		{name: "reserved name", file: &File{Tensors: map[string]Tensor{"__metadata__": FromFloat32(nil, []float32{1})}}, want: `tensor name "__metadata__" is reserved`},
		{name: "invalid UTF-8 name", file: &File{Tensors: map[string]Tensor{"\xff": FromFloat32(nil, []float32{1})}}, want: "name is not valid UTF-8"},
		{name: "invalid UTF-8 metadata", file: &File{Metadata: map[string]string{"k": "\xfe"}}, want: `__metadata__ entry "k": not valid UTF-8`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Encode error %v, want one containing %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Encode wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// failWriter accepts n bytes and then fails.
type failWriter struct{ n int }

var errFull = errors.New("device full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errFull
	}
	w.n -= len(p)
	return len(p), nil
}

func TestEncodeWriteError(t *testing.T) {
	f := &File{Tensors: map[string]Tensor{"w": FromFloat32([]int{2}, []float32{1, 2})}}
	var ok bytes.Buffer
	if err := Encode(&ok, f); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 7, 20, ok.Len() - 1} {
		err := Encode(&failWriter{n: n}, f)
		if !errors.Is(err, errFull) {
			t.Errorf("writer full after %d bytes: error %v, want one wrapping %v", n, err, errFull)
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	f := &File{
		Metadata: map[string]string{"latent": "2"},
		Tensors:  map[string]Tensor{"encoder.0.weight": FromFloat32([]int{2, 1}, []float32{1, 2})},
	}
	if err := WriteFile(path, f); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	if !filesEqual(got, f) {
		t.Errorf("ReadFile after WriteFile: got %+v, want %+v", got, f)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// An invalid file is refused before anything is written.
	bad := &File{Tensors: map[string]Tensor{"w": {DType: F32, Shape: []int{3}, Data: make([]byte, 4)}}}
	err = WriteFile(path, bad)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `tensor "w"`) {
		t.Errorf("WriteFile of an invalid file: error %v, want one naming %s and the tensor", err, path)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("a failed WriteFile changed the destination")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("files in the directory after a failed write: %d, want 1", len(entries))
	}

	// A missing directory gives an error naming the path.
	missing := filepath.Join(dir, "nope", "model.safetensors")
	if err := WriteFile(missing, f); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("WriteFile into a missing directory: error %v, want one naming %s", err, missing)
	}
}

func TestNames(t *testing.T) {
	f := &File{Tensors: map[string]Tensor{"b": {}, "a.10": {}, "a.2": {}, "A": {}}}
	if got, want := f.Names(), []string{"A", "a.10", "a.2", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	if got := (&File{}).Names(); len(got) != 0 {
		t.Errorf("Names() of an empty file = %v, want none", got)
	}
}
