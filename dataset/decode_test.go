package dataset

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

type decoder func(io.Reader, string) (*Dataset, error)

// decodeLabels adapts DecodeIDXLabels to decoder: the labels become a
// data set of dimension 1 with those labels.
func decodeLabels(r io.Reader, name string) (*Dataset, error) {
	l, err := DecodeIDXLabels(r, name)
	if err != nil {
		return nil, err
	}
	x := make([]float32, len(l))
	for i, v := range l {
		x[i] = float32(v)
	}
	return &Dataset{Name: name, N: len(l), D: 1, X: x, Labels: l, Binary: isBinary(x)}, nil
}

func TestDecode(t *testing.T) {
	pix := []byte{0, 255, 51, 0, 255, 255}
	for _, tc := range []struct {
		name       string
		decode     decoder
		in         []byte
		n, d       int
		rows, cols int
		x          []float32
		binary     bool
	}{
		{"idx", DecodeIDXImages, idxImages(2, 1, 3, pix), 2, 3, 1, 3, []float32{0, 1, 0.2, 0, 1, 1}, false},
		{"idx gzip", DecodeIDXImages, gz(idxImages(2, 1, 3, pix)), 2, 3, 1, 3, []float32{0, 1, 0.2, 0, 1, 1}, false},
		{"idx binary", DecodeIDXImages, idxImages(1, 2, 1, []byte{255, 0}), 1, 2, 2, 1, []float32{1, 0}, true},
		{"idx empty", DecodeIDXImages, idxImages(0, 28, 28, nil), 0, 784, 28, 28, []float32{}, true},
		{"idx labels", decodeLabels, idxLabels(3, []byte{7, 0, 9}), 3, 1, 0, 0, []float32{7, 0, 9}, false},
		{"idx labels gzip", decodeLabels, gz(idxLabels(1, []byte{1})), 1, 1, 0, 0, []float32{1}, true},

		{"amat", DecodeAMAT, []byte("0 1 1\n1 0 0\n"), 2, 3, 0, 0, []float32{0, 1, 1, 1, 0, 0}, true},
		{"amat crlf tabs blank lines no final newline", DecodeAMAT, []byte("\n0\t1 1\r\n\n 1 0 0 "), 2, 3, 0, 0, []float32{0, 1, 1, 1, 0, 0}, true},
		{"amat 1.0 and 0.0", DecodeAMAT, []byte("1.0 0.0\n"), 1, 2, 0, 0, []float32{1, 0}, true},
		{"amat gzip", DecodeAMAT, gz([]byte("1 1\n")), 1, 2, 0, 0, []float32{1, 1}, true},
		{"amat 784 is 28×28", DecodeAMAT, []byte(strings.Repeat("0 ", 783) + "1\n"), 1, 784, 28, 28, append(make([]float32, 783), 1), true},

		{"csv", DecodeCSV, []byte("1,2.5\n-3,4e-1\n"), 2, 2, 0, 0, []float32{1, 2.5, -3, 0.4}, false},
		{"csv header", DecodeCSV, []byte("x,y\n1,2\n"), 1, 2, 0, 0, []float32{1, 2}, false},
		{"csv bom comments spaces crlf", DecodeCSV, []byte("\ufeff# points\r\n a , b \r\n 1 , 0 \r\n\r\n0,1\r\n"), 2, 2, 0, 0, []float32{1, 0, 0, 1}, true},
		{"csv quoted", DecodeCSV, []byte(`"1","2"` + "\n"), 1, 2, 0, 0, []float32{1, 2}, false},
		{"csv one column", DecodeCSV, []byte("5\n6\n7"), 3, 1, 0, 0, []float32{5, 6, 7}, false},
		{"csv gzip", DecodeCSV, gz([]byte("1,2\n")), 1, 2, 0, 0, []float32{1, 2}, false},

		{"npy <f4 2-D", DecodeNPY, npyFile(1, npyDict("<f4", false, 2, 2), le(float32(1), float32(2), float32(3), float32(-4))), 2, 2, 0, 0, []float32{1, 2, 3, -4}, false},
		{"npy >f4", DecodeNPY, npyFile(1, npyDict(">f4", false, 2), be(float32(1.5), float32(2))), 2, 1, 0, 0, []float32{1.5, 2}, false},
		{"npy <f8", DecodeNPY, npyFile(1, npyDict("<f8", false, 1, 2), le(0.25, -1.0)), 1, 2, 0, 0, []float32{0.25, -1}, false},
		{"npy >f8", DecodeNPY, npyFile(1, npyDict(">f8", false, 1, 2), be(0.25, -1.0)), 1, 2, 0, 0, []float32{0.25, -1}, false},
		{"npy |u1 scaled", DecodeNPY, npyFile(1, npyDict("|u1", false, 1, 3), []byte{0, 51, 255}), 1, 3, 0, 0, []float32{0, 0.2, 1}, false},
		{"npy |u1 3-D images", DecodeNPY, npyFile(1, npyDict("|u1", false, 2, 1, 2), []byte{0, 255, 255, 0}), 2, 2, 1, 2, []float32{0, 1, 1, 0}, true},
		{"npy |i1", DecodeNPY, npyFile(1, npyDict("|i1", false, 2), []byte{0xff, 3}), 2, 1, 0, 0, []float32{-1, 3}, false},
		{"npy |b1", DecodeNPY, npyFile(1, npyDict("|b1", false, 2), []byte{1, 0}), 2, 1, 0, 0, []float32{1, 0}, true},
		{"npy <i2", DecodeNPY, npyFile(1, npyDict("<i2", false, 1), le(int16(-300))), 1, 1, 0, 0, []float32{-300}, false},
		{"npy <u2", DecodeNPY, npyFile(1, npyDict("<u2", false, 1), le(uint16(65535))), 1, 1, 0, 0, []float32{65535}, false},
		{"npy <i4", DecodeNPY, npyFile(1, npyDict("<i4", false, 2), le(int32(-7), int32(8))), 2, 1, 0, 0, []float32{-7, 8}, false},
		{"npy >i4", DecodeNPY, npyFile(1, npyDict(">i4", false, 2), be(int32(-7), int32(8))), 2, 1, 0, 0, []float32{-7, 8}, false},
		{"npy <u4", DecodeNPY, npyFile(1, npyDict("<u4", false, 1), le(uint32(4000000000))), 1, 1, 0, 0, []float32{4e9}, false},
		{"npy <i8", DecodeNPY, npyFile(1, npyDict("<i8", false, 2), le(int64(-1), int64(1<<40))), 2, 1, 0, 0, []float32{-1, 1 << 40}, false},
		{"npy >i8", DecodeNPY, npyFile(1, npyDict(">i8", false, 1), be(int64(-5))), 1, 1, 0, 0, []float32{-5}, false},
		{"npy <u8", DecodeNPY, npyFile(1, npyDict("<u8", false, 1), le(uint64(1<<63))), 1, 1, 0, 0, []float32{1 << 63}, false},
		{"npy version 2.0", DecodeNPY, npyFile(2, npyDict("<f4", false, 1), le(float32(3))), 1, 1, 0, 0, []float32{3}, false},
		{"npy version 3.0", DecodeNPY, npyFile(3, npyDict("<f4", false, 1), le(float32(3))), 1, 1, 0, 0, []float32{3}, false},
		{"npy gzip", DecodeNPY, gz(npyFile(1, npyDict("<f4", false, 1), le(float32(3)))), 1, 1, 0, 0, []float32{3}, false},
		{"npy fortran 1-D", DecodeNPY, npyFile(1, npyDict("<f4", true, 2), le(float32(1), float32(2))), 2, 1, 0, 0, []float32{1, 2}, false},
		{"npy empty", DecodeNPY, npyFile(1, npyDict("<f8", false, 0, 3), nil), 0, 3, 0, 0, []float32{}, true},
		{"npy header key order and quotes", DecodeNPY, npyFile(1, `{"shape": (1L, 2L), "fortran_order": False, "descr": "<f4"}`, le(float32(1), float32(2))), 1, 2, 0, 0, []float32{1, 2}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := tc.decode(bytes.NewReader(tc.in), "x")
			if err != nil {
				t.Fatal(err)
			}
			if ds.N != tc.n || ds.D != tc.d || ds.Rows != tc.rows || ds.Cols != tc.cols {
				t.Errorf("N, D, Rows, Cols = %d, %d, %d, %d, want %d, %d, %d, %d", ds.N, ds.D, ds.Rows, ds.Cols, tc.n, tc.d, tc.rows, tc.cols)
			}
			if !equal32(ds.X, tc.x) {
				t.Errorf("X = %v, want %v", ds.X, tc.x)
			}
			if ds.Binary != tc.binary {
				t.Errorf("Binary = %v, want %v", ds.Binary, tc.binary)
			}
			if ds.Name != "x" {
				t.Errorf("Name = %q, want %q", ds.Name, "x")
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	pix8 := make([]byte, 8)
	valid := gz(idxImages(1, 2, 4, pix8))
	f4 := npyDict("<f4", false, 2, 1)
	for _, tc := range []struct {
		name   string
		decode decoder
		in     []byte
		want   string
	}{
		// IDX images.
		{"idx empty", DecodeIDXImages, nil, "x: offset 0: truncated: want a 4-byte IDX magic number, found 0 bytes"},
		{"idx short magic", DecodeIDXImages, []byte{0, 0, 8}, "x: offset 0: truncated: want a 4-byte IDX magic number, found 3 bytes"},
		{"idx magic", DecodeIDXImages, be(int32(0x802), int32(1)), "x: offset 0: magic number 0x00000802, want 0x00000803 (IDX images)"},
		{"idx labels as images", DecodeIDXImages, idxLabels(1, []byte{1}), "x: offset 0: an IDX labels file (magic 0x00000801), want IDX images (magic 0x00000803)"},
		{"idx short header", DecodeIDXImages, idxImages(1, 2, 4, nil)[:10], "x: offset 10: truncated: want a 16-byte header, found 10 bytes"},
		{"idx negative count", DecodeIDXImages, idxImages(-1, 2, 4, nil), "x: offset 4: negative dimension -1 in header"},
		{"idx zero rows", DecodeIDXImages, idxImages(1, 0, 28, nil), "x: offset 8: image shape 0×28, want at least 1×1"},
		{"idx absurd count", DecodeIDXImages, idxImages(math.MaxInt32, 28, 28, nil), "x: offset 4: header claims 2147483647 images of 28×28: more than the limit of 1073741824 pixels"},
		{"idx absurd shape", DecodeIDXImages, idxImages(0, math.MaxInt32, math.MaxInt32, nil), "x: offset 4: header claims 0 images of 2147483647×2147483647: more than the limit of 1073741824 pixels"},
		{"idx truncated", DecodeIDXImages, idxImages(1, 2, 4, pix8[:3]), "x: offset 16: truncated: want 8 pixel bytes, found 3"},
		{"idx trailing", DecodeIDXImages, idxImages(1, 2, 4, make([]byte, 10)), "x: offset 24: 2 unexpected bytes after the 8 pixel bytes that the header announces"},
		{"idx trailing many", DecodeIDXImages, idxImages(1, 2, 4, make([]byte, 8+600)), "x: offset 24: 512 or more unexpected bytes after the 8 pixel bytes that the header announces"},
		{"gzip bad header", DecodeIDXImages, []byte{0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "x: gzip: invalid header"},
		{"gzip short header", DecodeIDXImages, []byte{0x1f, 0x8b, 8, 0}, "x: gzip: truncated header"},
		{"gzip truncated", DecodeIDXImages, valid[:len(valid)-4], "x: gzip: compressed data truncated after 24 uncompressed bytes"},
		{"gzip checksum", DecodeIDXImages, append(valid[:len(valid)-8:len(valid)-8], 1, 2, 3, 4, 24, 0, 0, 0), "x: gzip: invalid checksum (after 24 uncompressed bytes)"},
		// IDX labels.
		{"labels magic", decodeLabels, idxImages(1, 1, 1, []byte{1}), "x: offset 0: an IDX images file (magic 0x00000803), want IDX labels (magic 0x00000801)"},
		{"labels short header", decodeLabels, idxLabels(1, nil)[:6], "x: offset 6: truncated: want a 8-byte header, found 6 bytes"},
		{"labels absurd", decodeLabels, idxLabels(math.MaxInt32, nil), "x: offset 4: header claims 2147483647 labels: more than the limit of 1073741824"},
		{"labels truncated", decodeLabels, idxLabels(5, []byte{1, 2}), "x: offset 8: truncated: want 5 label bytes, found 2"},
		{"labels trailing", decodeLabels, idxLabels(1, []byte{1, 2}), "x: offset 9: 1 unexpected bytes after the 1 label bytes that the header announces"},
		// AMAT.
		{"amat empty", DecodeAMAT, []byte("\n  \n"), "x: no data: want lines of 0/1 values"},
		{"amat value", DecodeAMAT, []byte("0 1 1\n1 0 2\n"), `x: line 2, column 3: value "2", want 0 or 1`},
		{"amat fraction", DecodeAMAT, []byte("0.5 1\n"), `x: line 1, column 1: value "0.5", want 0 or 1`},
		{"amat word", DecodeAMAT, []byte("0 1\nab 1\n"), `x: line 2, column 1: value "ab", want 0 or 1`},
		{"amat columns", DecodeAMAT, []byte("0 1 1\n\n1 0\n"), "x: line 3: 2 values, want 3 (as on line 1)"},
		{"amat comma", DecodeAMAT, []byte("0,1\n"), `x: line 1, column 1: value "0,1", want 0 or 1`},
		// CSV.
		{"csv empty", DecodeCSV, nil, "x: no data rows"},
		{"csv header only", DecodeCSV, []byte("a,b\n"), "x: no data rows"},
		{"csv columns", DecodeCSV, []byte("1,2,3,4\n1,2,3,4\n\n# c\n5,6,7,8\n1,2,3,4\n1,2,3,4\n1,2,3\n"), "x: line 8: 3 columns, want 4 (as in the row on line 1)"},
		{"csv columns after header", DecodeCSV, []byte("a,b\n1,2,3\n"), "x: line 2: 3 columns, want 2 (as in the header on line 1)"},
		{"csv not a number", DecodeCSV, []byte("1,2\n3,abc\n"), `x: line 2, column 2: "abc" is not a number`},
		{"csv mixed first row", DecodeCSV, []byte("1,b\n3,4\n"), `x: line 1, column 2: "b" is not a number`},
		{"csv empty value", DecodeCSV, []byte("1,2\n3,\n"), "x: line 2, column 2: empty value, want a number"},
		{"csv nan", DecodeCSV, []byte("1,2\nNaN,4\n"), "x: line 2, column 1: value NaN is not finite (want a finite number)"},
		{"csv inf", DecodeCSV, []byte("1,-Inf\n"), "x: line 1, column 2: value -Inf is not finite (want a finite number)"},
		{"csv float32 range", DecodeCSV, []byte("1e39\n"), "x: line 1, column 1: value 1e39 is out of the range of float32"},
		{"csv float64 range", DecodeCSV, []byte("1,1e400\n"), "x: line 1, column 2: value 1e400 is out of the range of float32"},
		{"csv bare quote", DecodeCSV, []byte("1,2\"3\n"), `x: line 1: bare " in non-quoted-field (at byte 4 of the line)`},
		{"csv unterminated quote", DecodeCSV, []byte("1,\"2\n"), `x: line 1: extraneous or missing " in quoted-field (at byte 6 of the line)`},
		{"csv gzip truncated", DecodeCSV, gz([]byte("1,2\n3,4\n"))[:20], "x: gzip: compressed data truncated after 8 uncompressed bytes"},
		// NPY.
		{"npy empty", DecodeNPY, nil, `x: offset 0: not an NPY file: want the magic string \x93NUMPY, found ""`},
		{"npy magic", DecodeNPY, []byte("1,2,3\n4,5,6\n"), `x: offset 0: not an NPY file: want the magic string \x93NUMPY, found "1,2,3\n"`},
		{"npy short preamble", DecodeNPY, []byte("\x93NUMPY\x01\x00"), "x: offset 8: truncated: want a 10-byte NPY preamble, found 8 bytes"},
		{"npy version", DecodeNPY, []byte("\x93NUMPY\x04\x00\x10\x00"), "x: offset 6: NPY format version 4.0, want 1.0, 2.0 or 3.0"},
		{"npy v2 short length", DecodeNPY, []byte("\x93NUMPY\x02\x00\x10\x00\x00"), "x: offset 11: truncated: want a 4-byte header length, found 3 bytes"},
		{"npy absurd header", DecodeNPY, []byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), "x: offset 8: header length 4294967295, more than the limit of 1048576 bytes"},
		{"npy short header", DecodeNPY, []byte("\x93NUMPY\x01\x00\x76\x00{'de"), "x: offset 10: truncated: want a 118-byte header, found 4 bytes"},
		{"npy dtype", DecodeNPY, npyFile(1, npyDict("<c16", false, 2), nil), "x: offset 10: unsupported dtype '<c16' (want one of |b1, |i1, |u1, <i2, <u2, <i4, <u4, <i8, <u8, <f4, <f8, or > for big-endian)"},
		{"npy dtype |f4", DecodeNPY, npyFile(1, npyDict("|f4", false, 2), nil), "x: offset 10: unsupported dtype '|f4' (want one of |b1, |i1, |u1, <i2, <u2, <i4, <u4, <i8, <u8, <f4, <f8, or > for big-endian)"},
		{"npy dtype <f2", DecodeNPY, npyFile(1, npyDict("<f2", false, 2), nil), "x: offset 10: unsupported dtype '<f2' (want one of |b1, |i1, |u1, <i2, <u2, <i4, <u4, <i8, <u8, <f4, <f8, or > for big-endian)"},
		{"npy fortran", DecodeNPY, npyFile(1, npyDict("<f4", true, 2, 2), nil), "x: offset 10: fortran_order is True: Fortran-order arrays are not supported (save a C-order array, e.g. np.ascontiguousarray(x))"},
		{"npy 0-D", DecodeNPY, npyFile(1, npyDict("<f4", false), le(float32(1))), "x: offset 10: shape () has 0 dimensions, want 1, 2 or 3"},
		{"npy 4-D", DecodeNPY, npyFile(1, npyDict("<f4", false, 1, 1, 1, 1), le(float32(1))), "x: offset 10: shape (1, 1, 1, 1) has 4 dimensions, want 1, 2 or 3"},
		{"npy absurd shape", DecodeNPY, npyFile(1, npyDict("<f8", false, 1000000, 1000000), nil), "x: offset 10: shape (1000000, 1000000): more than the limit of 1073741824 values"},
		{"npy absurd dim", DecodeNPY, npyFile(1, npyDict("<f8", false, 0, 9223372036854775807), nil), "x: offset 10: shape (0, 9223372036854775807): more than the limit of 1073741824 values"},
		{"npy zero dimension", DecodeNPY, npyFile(1, npyDict("<f8", false, 3, 0), nil), "x: offset 10: shape (3, 0): points of dimension 0, want at least 1"},
		{"npy truncated", DecodeNPY, npyFile(1, f4, le(float32(1))), "x: offset 128: truncated: shape (2, 1) of <f4 needs 8 data bytes, found 4"},
		{"npy trailing", DecodeNPY, npyFile(1, f4, le(float32(1), float32(2), float32(3))), "x: offset 136: unexpected bytes after the 8 data bytes of shape (2, 1)"},
		{"npy nan", DecodeNPY, npyFile(1, npyDict("<f4", false, 2, 2), le(float32(1), float32(2), float32(math.NaN()), float32(4))), "x: offset 136: element [1, 0] is NaN: not finite (want finite values)"},
		{"npy inf", DecodeNPY, npyFile(1, npyDict("<f8", false, 3), le(0.0, 1.0, math.Inf(-1))), "x: offset 144: element [2] is -Inf: not finite (want finite values)"},
		{"npy float32 range", DecodeNPY, npyFile(1, npyDict("<f8", false, 1, 1, 2), le(0.0, 1e300)), "x: offset 136: element [0, 0, 1] is 1e+300: out of the range of float32"},
		{"npy header not a dict", DecodeNPY, npyFile(1, "[1, 2]", nil), `x: offset 10: header: want '{', found "[1, 2]"`},
		{"npy header missing key", DecodeNPY, npyFile(1, "{'descr': '<f4', 'shape': (1,)}", nil), "x: offset 10: header: no 'fortran_order' key"},
		{"npy header duplicate key", DecodeNPY, npyFile(1, "{'descr': '<f4', 'descr': '<f4'}", nil), "x: offset 27: header: key 'descr' appears twice"},
		{"npy header unknown key", DecodeNPY, npyFile(1, "{'descr': '<f4', 'foo': 1}", nil), "x: offset 27: header: unexpected key 'foo' (want descr, fortran_order and shape)"},
		{"npy header fortran value", DecodeNPY, npyFile(1, "{'fortran_order': 0}", nil), `x: offset 29: header: fortran_order "0", want True or False`},
		{"npy header structured", DecodeNPY, npyFile(1, "{'descr': [('a', '<f4')]}", nil), "x: offset 20: header: structured dtype: want a plain dtype such as '<f4'"},
		{"npy header shape", DecodeNPY, npyFile(1, "{'shape': (2, -1)}", nil), `x: offset 24: header: want a non-negative integer in shape, found "-1)}"`},
		{"npy header shape not tuple", DecodeNPY, npyFile(1, "{'shape': [2]}", nil), `x: offset 20: header: want '(', found "[2]}"`},
		{"npy header unterminated", DecodeNPY, npyFile(1, "{'descr", nil), "x: offset 11: header: unterminated string"},
		{"npy header no colon", DecodeNPY, npyFile(1, "{'descr' '<f4'}", nil), `x: offset 19: header: want ':', found "'<f4'}"`},
		{"npy header long", DecodeNPY, npyFile(1, "{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}", nil), `x: offset 26: header: want ',' or '}', found "'fortran_order':…"`},
		{"npy header shape separator", DecodeNPY, npyFile(1, "{'shape': (1 2)}", nil), `x: offset 23: header: want ',' or ')' in shape, found "2)}"`},
		{"npy header trailing", DecodeNPY, npyFile(1, npyDict("<f4", false, 1)+" x", nil), `x: offset 68: header: unexpected "x" after the dictionary`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.decode(bytes.NewReader(tc.in), "x")
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n%q, want\n%q", err, tc.want)
			}
		})
	}
}

// TestFormatError checks the fields of a FormatError and the message forms.
func TestFormatError(t *testing.T) {
	_, err := DecodeCSV(strings.NewReader("1,2\n3,x\n"), "p.csv")
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FormatError", err, err)
	}
	if fe.File != "p.csv" || fe.Line != 2 || fe.Column != 2 || fe.Offset != -1 {
		t.Errorf("FormatError = %+v, want File p.csv, Line 2, Column 2, Offset -1", *fe)
	}
	for _, tc := range []struct {
		e    FormatError
		want string
	}{
		{FormatError{File: "f", Offset: 16, Msg: "m"}, "f: offset 16: m"},
		{FormatError{File: "f", Offset: 0, Msg: "m"}, "f: offset 0: m"},
		{FormatError{File: "f", Offset: -1, Line: 7, Msg: "m"}, "f: line 7: m"},
		{FormatError{File: "f", Offset: -1, Line: 7, Column: 3, Msg: "m"}, "f: line 7, column 3: m"},
		{FormatError{File: "f", Offset: -1, Msg: "m"}, "f: m"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v.Error() = %q, want %q", tc.e, got, tc.want)
		}
	}
}

// errReader fails after delivering its data.
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

// TestDecodeReadError checks that an I/O error is passed on, wrapped with
// the file name, rather than reported as a malformed file.
func TestDecodeReadError(t *testing.T) {
	errDisk := errors.New("disk on fire")
	for _, tc := range []struct {
		name   string
		decode decoder
		data   []byte
	}{
		{"idx header", DecodeIDXImages, idxImages(1, 2, 2, nil)[:6]},
		{"idx data", DecodeIDXImages, idxImages(1, 2, 2, []byte{1})},
		{"labels", decodeLabels, idxLabels(1, nil)},
		{"amat", DecodeAMAT, []byte("0 1\n")},
		{"csv", DecodeCSV, []byte("0,1\n")},
		{"npy", DecodeNPY, npyFile(1, npyDict("<f4", false, 1), nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.decode(&errReader{tc.data, errDisk}, "x")
			if !errors.Is(err, errDisk) {
				t.Fatalf("error %v, want one wrapping %v", err, errDisk)
			}
			if !strings.HasPrefix(err.Error(), "x: ") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}
