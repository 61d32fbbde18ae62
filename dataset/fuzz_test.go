package dataset

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// checkDecoded checks the invariants of a decoded data set, or that a
// decoding error names the file.
func checkDecoded(t *testing.T, ds *Dataset, err error) {
	t.Helper()
	if err != nil {
		if ds != nil {
			t.Errorf("error %v with a non-nil data set", err)
		}
		if !strings.HasPrefix(err.Error(), "fuzz: ") {
			t.Errorf("error %q does not start with the file name", err)
		}
		return
	}
	if ds.N < 0 || ds.D < 1 || len(ds.X) != ds.N*ds.D {
		t.Fatalf("N %d, D %d, len(X) %d", ds.N, ds.D, len(ds.X))
	}
	if ds.Labels != nil && len(ds.Labels) != ds.N {
		t.Errorf("%d labels for %d points", len(ds.Labels), ds.N)
	}
	if (ds.Rows != 0 || ds.Cols != 0) && ds.Rows*ds.Cols != ds.D {
		t.Errorf("image shape %d×%d for D = %d", ds.Rows, ds.Cols, ds.D)
	}
	if ds.Binary != isBinary(ds.X) {
		t.Errorf("Binary = %v, but the values say %v", ds.Binary, isBinary(ds.X))
	}
	for i, v := range ds.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("value %d is %v", i, v)
		}
	}
}

func FuzzDecodeIDX(f *testing.F) {
	for _, seed := range [][]byte{
		idxImages(2, 1, 3, []byte{0, 255, 51, 0, 255, 255}),
		idxImages(1, 2, 2, []byte{1, 2}),
		idxImages(0, 28, 28, nil),
		idxImages(-1, 28, 28, nil),
		idxImages(1<<30, 1<<30, 4, nil),
		idxImages(1, 1, 1, []byte{1, 2, 3}),
		gz(idxImages(1, 1, 2, []byte{9, 9})),
		gz(idxImages(1, 1, 2, []byte{9, 9}))[:20],
		idxLabels(3, []byte{1, 2, 3}),
		idxLabels(3, []byte{1}),
		gz(idxLabels(1, []byte{7})),
		{0x1f, 0x8b},
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := DecodeIDXImages(bytes.NewReader(b), "fuzz")
		checkDecoded(t, ds, err)
		if err == nil && ds.Rows*ds.Cols != ds.D {
			t.Errorf("image shape %d×%d for D = %d", ds.Rows, ds.Cols, ds.D)
		}
		labels, err := DecodeIDXLabels(bytes.NewReader(b), "fuzz")
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz: ") {
			t.Errorf("error %q does not start with the file name", err)
		}
		for _, l := range labels {
			if l < 0 || l > 255 {
				t.Fatalf("label %d", l)
			}
		}
	})
}

func FuzzDecodeAMAT(f *testing.F) {
	for _, seed := range []string{
		"0 1 1\n1 0 0\n",
		"\n0\t1\r\n\n1 0 ",
		"1.0 0.0\n",
		"0 1\n1\n",
		"0 2\n",
		"0,1\n",
		"",
		strings.Repeat("0 ", 783) + "1\n",
		string(gz([]byte("0 1\n1 1\n"))),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := DecodeAMAT(bytes.NewReader(b), "fuzz")
		checkDecoded(t, ds, err)
		if err == nil && !ds.Binary {
			t.Errorf("amat data not binary: %v", ds.X)
		}
	})
}

func FuzzDecodeCSV(f *testing.F) {
	for _, seed := range []string{
		"1,2.5\n-3,4e-1\n",
		"x,y\n1,2\n",
		"\ufeff# c\r\n a , b \r\n 1 , 0 \r\n",
		`"1","2"` + "\n",
		"1,2\n3\n",
		"1,NaN\n",
		"1e39,1e400\n",
		"1,2\"3\n",
		"1,\"2\n",
		"",
		"a,b\n",
		string(gz([]byte("1,2\n"))),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := DecodeCSV(bytes.NewReader(b), "fuzz")
		checkDecoded(t, ds, err)
	})
}

func FuzzDecodeNPY(f *testing.F) {
	for _, seed := range [][]byte{
		npyFile(1, npyDict("<f4", false, 2, 2), le(float32(1), float32(2), float32(3), float32(-4))),
		npyFile(1, npyDict(">f8", false, 2), be(0.5, 2.0)),
		npyFile(1, npyDict("|u1", false, 2, 1, 2), []byte{0, 255, 255, 0}),
		npyFile(1, npyDict("<i8", false, 1), le(int64(-5))),
		npyFile(2, npyDict("|b1", false, 2), []byte{1, 0}),
		npyFile(3, npyDict("<u2", false, 1), le(uint16(7))),
		npyFile(1, npyDict("<c16", false, 2), nil),
		npyFile(1, npyDict("<f4", true, 2, 2), nil),
		npyFile(1, npyDict("<f8", false, 1000000, 1000000), nil),
		npyFile(1, npyDict("<f4", false, 2), le(float32(math.NaN()), float32(1))),
		npyFile(1, `{"shape": (1L, 2L), "fortran_order": False, "descr": "<f4"}`, le(float32(1), float32(2))),
		npyFile(1, "{'descr': [('a', '<f4')]}", nil),
		[]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"),
		gz(npyFile(1, npyDict("<f4", false, 1), le(float32(3)))),
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := DecodeNPY(bytes.NewReader(b), "fuzz")
		checkDecoded(t, ds, err)
	})
}
