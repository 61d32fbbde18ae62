package dataset

import (
	"bufio"
	"io"
	"strconv"
)

// maxLine bounds the length of one line of a text file.
const maxLine = 64 << 20

// DecodeAMAT reads a binarised data set in .amat text form, gzip-compressed
// or not: one point per line, values 0 or 1 separated by spaces or tabs,
// the same number on every line. Blank lines are skipped. Points of 784
// values are taken to be 28×28 images, as in Larochelle & Murray's
// fixed-binarised MNIST. name is used in error messages and as the data
// set's Name.
func DecodeAMAT(r io.Reader, name string) (*Dataset, error) { return decodeAMAT(r, name, Limits{}) }

// decodeAMAT is DecodeAMAT within lim.
func decodeAMAT(r io.Reader, name string, lim Limits) (*Dataset, error) {
	br, err := input(r, name)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 1<<16), maxLine)
	var (
		bits      []byte
		n, d      int
		firstLine int
		line      int
	)
	maxValues, _ := lim.maxValues()
	for (lim.MaxPoints <= 0 || n < lim.MaxPoints) && sc.Scan() {
		line++
		text := sc.Bytes()
		col := 0
		for i := 0; i < len(text); {
			if isBlank(text[i]) {
				i++
				continue
			}
			j := i
			for j < len(text) && !isBlank(text[j]) {
				j++
			}
			tok := text[i:j]
			i = j
			col++
			switch {
			case len(tok) == 1 && tok[0] == '0':
				bits = append(bits, 0)
			case len(tok) == 1 && tok[0] == '1':
				bits = append(bits, 1)
			default:
				v, err := strconv.ParseFloat(string(tok), 64)
				if err != nil || (v != 0 && v != 1) {
					return nil, atLine(name, line, col, "value %q, want 0 or 1", truncate(tok))
				}
				bits = append(bits, byte(v))
			}
		}
		switch {
		case col == 0:
			continue
		case n == 0:
			d, firstLine = col, line
		case col != d:
			return nil, atLine(name, line, 0, "%d values, want %d (as on line %d)", col, d, firstLine)
		}
		n++
		if int64(len(bits)) > maxValues {
			return nil, lim.check(name, int64(len(bits)))
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, atLine(name, line+1, 0, "line longer than %d bytes", maxLine)
		}
		if err := readError(name, err); err != nil {
			return nil, err
		}
	}
	if n == 0 {
		return nil, whole(name, "no data: want lines of 0/1 values")
	}
	x := make([]float32, len(bits))
	for i, b := range bits {
		x[i] = float32(b)
	}
	ds := newDataset(name, n, d, x)
	if d == 28*28 {
		ds.Rows, ds.Cols = 28, 28
	}
	return ds, nil
}

// isBlank reports whether c separates values on a line.
func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// truncate returns b as a string, shortened for an error message.
func truncate(b []byte) string {
	const limit = 40
	if len(b) > limit {
		return string(b[:limit]) + "…"
	}
	return string(b)
}
