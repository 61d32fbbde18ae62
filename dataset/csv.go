package dataset

import (
	"encoding/csv"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
)

// DecodeCSV reads a data set from comma-separated text, gzip-compressed or
// not: one point per row, the same number of numeric columns in every row.
// The first row is a header, and is skipped, when none of its fields is a
// number. Blank lines and lines starting with '#' are skipped, spaces around
// values are ignored and a leading UTF-8 byte order mark is dropped. Every
// value must be finite and within the range of float32. name is used in
// error messages and as the data set's Name.
func DecodeCSV(r io.Reader, name string) (*Dataset, error) { return decodeCSV(r, name, Limits{}) }

// decodeCSV is DecodeCSV within lim.
func decodeCSV(r io.Reader, name string, lim Limits) (*Dataset, error) {
	br, err := input(r, name)
	if err != nil {
		return nil, err
	}
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	var (
		x         []float32
		n, d      int
		firstLine int
		header    bool
	)
	maxValues, _ := lim.maxValues()
	for first := true; lim.MaxPoints <= 0 || n < lim.MaxPoints; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && isCSVSyntax(pe.Err) {
				return nil, atLine(name, pe.Line, 0, "%v (at byte %d of the line)", pe.Err, pe.Column)
			}
			if err := readError(name, err); err != nil {
				return nil, err
			}
			return nil, whole(name, "%v", err)
		}
		line, _ := cr.FieldPos(0)
		if first && isHeader(rec) {
			d, firstLine, header = len(rec), line, true
			continue
		}
		if d == 0 {
			d, firstLine = len(rec), line
		} else if len(rec) != d {
			what := "row"
			if header {
				what = "header"
			}
			return nil, atLine(name, line, 0, "%d columns, want %d (as in the %s on line %d)", len(rec), d, what, firstLine)
		}
		if int64(len(x)+d) > maxValues {
			return nil, lim.check(name, int64(len(x)+d))
		}
		for j, f := range rec {
			f = strings.TrimSpace(f)
			v, err := strconv.ParseFloat(f, 64)
			switch {
			case f == "":
				return nil, atLine(name, line, j+1, "empty value, want a number")
			case errors.Is(err, strconv.ErrRange):
				return nil, atLine(name, line, j+1, "value %s is out of the range of float32", truncate([]byte(f)))
			case err != nil:
				return nil, atLine(name, line, j+1, "%q is not a number", truncate([]byte(f)))
			case math.IsNaN(v) || math.IsInf(v, 0):
				return nil, atLine(name, line, j+1, "value %s is not finite (want a finite number)", truncate([]byte(f)))
			case math.Abs(v) > math.MaxFloat32:
				return nil, atLine(name, line, j+1, "value %s is out of the range of float32", truncate([]byte(f)))
			}
			x = append(x, float32(v))
		}
		n++
	}
	if n == 0 {
		return nil, whole(name, "no data rows")
	}
	return newDataset(name, n, d, x), nil
}

// isHeader reports whether no field of rec is a number.
func isHeader(rec []string) bool {
	for _, f := range rec {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err == nil || errors.Is(err, strconv.ErrRange) {
			return false
		}
	}
	return true
}

// isCSVSyntax reports whether err is one of encoding/csv's syntax errors.
func isCSVSyntax(err error) bool {
	return errors.Is(err, csv.ErrBareQuote) || errors.Is(err, csv.ErrQuote) || errors.Is(err, csv.ErrFieldCount)
}
