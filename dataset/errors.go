package dataset

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FormatError reports a malformed, truncated or inconsistent data file.
type FormatError struct {
	// File is the name of the file as given to the reader.
	File string

	// Offset is the byte offset of the problem in the file's
	// (decompressed) content, or -1 when a line number locates it.
	Offset int64

	// Line and Column are the 1-based line and column of the problem in a
	// text file, or zero when not applicable.
	Line, Column int

	// Msg says what was expected and what was found.
	Msg string
}

// Error returns the message, prefixed with the file and position, as in
// "x.csv: line 7: 3 columns, want 4".
func (e *FormatError) Error() string {
	pos := ""
	switch {
	case e.Line > 0 && e.Column > 0:
		pos = "line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) + ": "
	case e.Line > 0:
		pos = "line " + strconv.Itoa(e.Line) + ": "
	case e.Offset >= 0:
		pos = "offset " + strconv.FormatInt(e.Offset, 10) + ": "
	}
	return e.File + ": " + pos + e.Msg
}

// atOffset returns a FormatError at byte offset off.
func atOffset(file string, off int64, format string, args ...any) *FormatError {
	return &FormatError{File: file, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// atLine returns a FormatError at a line and column (col 0 for none).
func atLine(file string, line, col int, format string, args ...any) *FormatError {
	return &FormatError{File: file, Offset: -1, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// whole returns a FormatError about the file as a whole.
func whole(file string, format string, args ...any) *FormatError {
	return &FormatError{File: file, Offset: -1, Msg: fmt.Sprintf(format, args...)}
}

// maxElements bounds the number of values in one data set (4 GiB of
// float32), so that a corrupt header cannot ask for an absurd allocation.
const maxElements = 1 << 30

// gzipError is a failure of the gzip layer; decoders report it as it is
// rather than as a truncated or malformed file.
type gzipError struct {
	err error
	off int64 // uncompressed bytes delivered before the failure
}

func (e *gzipError) Error() string {
	if errors.Is(e.err, io.ErrUnexpectedEOF) {
		return fmt.Sprintf("gzip: compressed data truncated after %d uncompressed bytes", e.off)
	}
	return fmt.Sprintf("gzip: %s (after %d uncompressed bytes)", strings.TrimPrefix(e.err.Error(), "gzip: "), e.off)
}

func (e *gzipError) Unwrap() error { return e.err }

// gzipReader wraps the errors of a gzip.Reader, other than io.EOF, in
// gzipError.
type gzipReader struct {
	zr  *gzip.Reader
	off int64
}

func (g *gzipReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	g.off += int64(n)
	if err != nil && err != io.EOF {
		err = &gzipError{err: err, off: g.off}
	}
	return n, err
}

// input returns a buffered reader of r's content, decompressed if r starts
// with the gzip magic bytes 0x1f 0x8b.
func input(r io.Reader, name string) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil, whole(name, "gzip: truncated header")
	}
	if err != nil {
		return nil, whole(name, "gzip: %s", strings.TrimPrefix(err.Error(), "gzip: "))
	}
	return bufio.NewReaderSize(&gzipReader{zr: zr}, 1<<16), nil
}

// readError converts an error from reading name's content into the error a
// decoder returns: gzip failures and I/O errors name the file; io.EOF and
// io.ErrUnexpectedEOF give nil, meaning that the caller reports truncation.
func readError(name string, err error) error {
	var ge *gzipError
	switch {
	case err == nil, err == io.EOF, err == io.ErrUnexpectedEOF:
		return nil
	case errors.As(err, &ge):
		return whole(name, "%v", ge)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// readN reads exactly n bytes from r, growing its buffer as data arrive, so
// that a header claiming more data than the file holds costs no more memory
// than the file. It returns the bytes read; err is non-nil if fewer than n
// were available.
func readN(r io.Reader, n int64) ([]byte, error) {
	const chunk = 1 << 20
	buf := make([]byte, 0, min(n, chunk))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			next := min(n, max(2*int64(cap(buf)), chunk))
			buf = append(buf[:cap(buf)], make([]byte, next-int64(cap(buf)))...)[:len(buf)]
		}
		m, err := io.ReadFull(r, buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}
