package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"strings"
)

// idxImages returns an IDX images file with the given header fields and
// pixel bytes.
func idxImages(n, rows, cols int32, pix []byte) []byte {
	var b bytes.Buffer
	for _, v := range []int32{idxImagesMagic, n, rows, cols} {
		binary.Write(&b, binary.BigEndian, v)
	}
	b.Write(pix)
	return b.Bytes()
}

// idxLabels returns an IDX labels file with the given count and label
// bytes.
func idxLabels(n int32, labels []byte) []byte {
	var b bytes.Buffer
	for _, v := range []int32{idxLabelsMagic, n} {
		binary.Write(&b, binary.BigEndian, v)
	}
	b.Write(labels)
	return b.Bytes()
}

// npyFile returns an NPY file of the given major version with the header
// dictionary dict, padded as NumPy pads it, followed by data.
func npyFile(major byte, dict string, data []byte) []byte {
	pre := 10
	if major > 1 {
		pre = 12
	}
	hdr := dict + " "
	for (pre+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{major, 0})
	if major > 1 {
		binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	}
	b.WriteString(hdr)
	b.Write(data)
	return b.Bytes()
}

// npyDict returns a header dictionary as NumPy writes it.
func npyDict(descr string, fortran bool, shape ...int) string {
	s := make([]string, len(shape))
	for i, v := range shape {
		s[i] = fmt.Sprint(v)
	}
	t := "(" + strings.Join(s, ", ") + ")"
	if len(shape) == 1 {
		t = "(" + s[0] + ",)"
	}
	f := "False"
	if fortran {
		f = "True"
	}
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, t)
}

// le returns the little-endian bytes of the values.
func le(vals ...any) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

// be returns the big-endian bytes of the values.
func be(vals ...any) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		binary.Write(&b, binary.BigEndian, v)
	}
	return b.Bytes()
}

// gz returns b gzip-compressed.
func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// equal32 reports whether a and b hold the same values.
func equal32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
