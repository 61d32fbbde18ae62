package dataset

import (
	"encoding/binary"
	"io"
)

// IDX magic numbers: unsigned bytes, with 3 dimensions (images) or 1
// (labels).
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801
)

// DecodeIDXImages reads an IDX images file (magic 0x00000803: a count of
// images, rows and columns as big-endian int32, then one unsigned byte per
// pixel), gzip-compressed or not. Pixels are scaled to [0, 1] by 1/255,
// unless every pixel is 0 or 1: such a file holds binarised images, which are
// kept as they are (and marked Binary). name is used in error messages and
// as the data set's Name.
func DecodeIDXImages(r io.Reader, name string) (*Dataset, error) {
	ds, _, err := decodeIDXImages(r, name, Limits{})
	return ds, err
}

// decodeIDXImages is DecodeIDXImages within lim; it also returns the number
// of images that the header declares.
func decodeIDXImages(r io.Reader, name string, lim Limits) (*Dataset, int64, error) {
	br, err := input(r, name)
	if err != nil {
		return nil, 0, err
	}
	h, err := idxHeader(br, name, idxImagesMagic)
	if err != nil {
		return nil, 0, err
	}
	n, rows, cols := h[0], h[1], h[2]
	if rows == 0 || cols == 0 {
		return nil, n, atOffset(name, 8, "image shape %d×%d, want at least 1×1", rows, cols)
	}
	use := lim.points(n)
	if rows*cols > maxElements || use*rows*cols > maxElements {
		return nil, n, atOffset(name, 4, "header claims %d images of %d×%d: more than the limit of %d pixels", n, rows, cols, maxElements)
	}
	if err := lim.check(name, use*rows*cols); err != nil {
		return nil, n, err
	}
	want := use * rows * cols
	pix, err := idxBody(br, name, 16, want, "pixel bytes", lim.limited(n))
	if err != nil {
		return nil, n, err
	}
	ds := newDataset(name, int(use), int(rows*cols), pixels(pix))
	ds.Rows, ds.Cols = int(rows), int(cols)
	return ds, n, nil
}

// pixels converts unsigned bytes to intensities in [0, 1]: by 1/255, or, if
// every byte is 0 or 1 (binarised images stored as bytes), as they are.
func pixels(b []byte) []float32 {
	scale := float32(1)
	for _, p := range b {
		if p > 1 {
			scale = 1.0 / 255
			break
		}
	}
	x := make([]float32, len(b))
	for i, p := range b {
		if scale == 1 {
			x[i] = float32(p)
		} else {
			x[i] = float32(p) / 255
		}
	}
	return x
}

// DecodeIDXLabels reads an IDX labels file (magic 0x00000801: a count as a
// big-endian int32, then one unsigned byte per label), gzip-compressed or
// not. name is used in error messages.
func DecodeIDXLabels(r io.Reader, name string) ([]int, error) {
	labels, _, err := decodeIDXLabels(r, name, Limits{})
	return labels, err
}

// decodeIDXLabels is DecodeIDXLabels reading at most lim.MaxPoints labels;
// it also returns the number of labels that the header declares.
func decodeIDXLabels(r io.Reader, name string, lim Limits) ([]int, int64, error) {
	br, err := input(r, name)
	if err != nil {
		return nil, 0, err
	}
	h, err := idxHeader(br, name, idxLabelsMagic)
	if err != nil {
		return nil, 0, err
	}
	if h[0] > maxElements {
		return nil, h[0], atOffset(name, 4, "header claims %d labels: more than the limit of %d", h[0], maxElements)
	}
	use := lim.points(h[0])
	b, err := idxBody(br, name, 8, use, "label bytes", lim.limited(h[0]))
	if err != nil {
		return nil, h[0], err
	}
	labels := make([]int, len(b))
	for i, v := range b {
		labels[i] = int(v)
	}
	return labels, h[0], nil
}

// idxHeader reads the magic number and the dimensions of an IDX file whose
// magic must be want.
func idxHeader(r io.Reader, name string, want uint32) ([]int64, error) {
	kind := map[uint32]string{idxImagesMagic: "images", idxLabelsMagic: "labels"}
	var m [4]byte
	if k, err := io.ReadFull(r, m[:]); err != nil {
		if err := readError(name, err); err != nil {
			return nil, err
		}
		return nil, atOffset(name, 0, "truncated: want a 4-byte IDX magic number, found %d bytes", k)
	}
	magic := binary.BigEndian.Uint32(m[:])
	if magic != want {
		if other, ok := kind[magic]; ok {
			return nil, atOffset(name, 0, "an IDX %s file (magic 0x%08x), want IDX %s (magic 0x%08x)", other, magic, kind[want], want)
		}
		return nil, atOffset(name, 0, "magic number 0x%08x, want 0x%08x (IDX %s)", magic, want, kind[want])
	}
	dims := make([]int64, want&0xff)
	var b [4]byte
	for i := range dims {
		off := int64(4 + 4*i)
		if k, err := io.ReadFull(r, b[:]); err != nil {
			if err := readError(name, err); err != nil {
				return nil, err
			}
			return nil, atOffset(name, off+int64(k), "truncated: want a %d-byte header, found %d bytes", 4+4*len(dims), off+int64(k))
		}
		v := int32(binary.BigEndian.Uint32(b[:]))
		if v < 0 {
			return nil, atOffset(name, off, "negative dimension %d in header", v)
		}
		dims[i] = int64(v)
	}
	return dims, nil
}

// idxBody reads the want data bytes that follow an IDX header of hdr
// bytes, and, unless partial (the caller reads only the first points),
// checks that nothing follows them.
func idxBody(r io.Reader, name string, hdr, want int64, what string, partial bool) ([]byte, error) {
	b, err := readN(r, want)
	if err != nil {
		if err := readError(name, err); err != nil {
			return nil, err
		}
		return nil, atOffset(name, hdr, "truncated: want %d %s, found %d", want, what, len(b))
	}
	if partial {
		return b, nil
	}
	var extra [512]byte
	k, err := io.ReadFull(r, extra[:])
	if err := readError(name, err); err != nil {
		return nil, err
	}
	if k > 0 {
		more := ""
		if k == len(extra) {
			more = " or more"
		}
		return nil, atOffset(name, hdr+want, "%d%s unexpected bytes after the %d %s that the header announces", k, more, want, what)
	}
	return b, nil
}
