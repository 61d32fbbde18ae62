package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/vitool/vitool/internal/atomicfile"
)

// Encode writes f to w in the safetensors format.
//
// The output is deterministic. The header lists the metadata first, with its
// keys sorted, then the tensors; as in the reference implementation, tensors
// are ordered by decreasing element size and then by name, which keeps every
// tensor aligned to its element size in the data buffer (for a file of a
// single dtype, such as an F32 checkpoint, this is plain name order). The
// header is padded with spaces to a multiple of 8 bytes.
//
// Encode checks f before writing anything: it returns an error if a tensor
// has an unknown dtype, a negative dimension, or Data whose length does not
// match its dtype and shape, if a tensor is named "__metadata__", or if a name
// or metadata string is not valid UTF-8.
func Encode(w io.Writer, f *File) error {
	header, order, err := prepare(f)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err := write(w, f, header, order); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// WriteFile writes f to the file at path in the safetensors format, as Encode
// does. It replaces path atomically: on error, an existing file at path is
// left as it was. A new file gets permissions 0666 less the umask; a
// replaced file keeps its mode.
func WriteFile(path string, f *File) error {
	header, order, err := prepare(f)
	if err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	err = atomicfile.WriteFile(path, 0o666, func(w io.Writer) error {
		return write(w, f, header, order)
	})
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// write writes the header length, the header and the tensor data, in order.
func write(w io.Writer, f *File, header []byte, order []string) error {
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, name := range order {
		if _, err := w.Write(f.Tensors[name].Data); err != nil {
			return err
		}
	}
	return nil
}

// prepare checks f and returns its padded JSON header and the names of its
// tensors in the order of their data.
func prepare(f *File) ([]byte, []string, error) {
	if f == nil {
		return nil, nil, errors.New("nil *File")
	}
	for k, v := range f.Metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, fmt.Errorf("%s entry %q: not valid UTF-8", metadataKey, k)
		}
	}
	order := make([]string, 0, len(f.Tensors))
	for name, t := range f.Tensors {
		if name == metadataKey {
			return nil, nil, fmt.Errorf("tensor name %q is reserved for the metadata", name)
		}
		if !utf8.ValidString(name) {
			return nil, nil, fmt.Errorf("tensor %q: name is not valid UTF-8", name)
		}
		if err := t.check(); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		order = append(order, name)
	}
	sort.Slice(order, func(i, j int) bool {
		si, sj := f.Tensors[order[i]].DType.Size(), f.Tensors[order[j]].DType.Size()
		if si != sj {
			return si > sj
		}
		return order[i] < order[j]
	})

	var b bytes.Buffer
	b.WriteByte('{')
	if len(f.Metadata) > 0 {
		keys := make([]string, 0, len(f.Metadata))
		for k := range f.Metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		writeString(&b, metadataKey)
		b.WriteString(":{")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(&b, k)
			b.WriteByte(':')
			writeString(&b, f.Metadata[k])
		}
		b.WriteByte('}')
	}
	var offset int64
	for i, name := range order {
		t := f.Tensors[name]
		if i > 0 || len(f.Metadata) > 0 {
			b.WriteByte(',')
		}
		writeString(&b, name)
		b.WriteString(`:{"dtype":`)
		writeString(&b, string(t.DType))
		b.WriteString(`,"shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := offset + int64(len(t.Data))
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	if b.Len() > MaxHeaderSize {
		return nil, nil, fmt.Errorf("header of %d bytes exceeds the limit of %d bytes", b.Len(), MaxHeaderSize)
	}
	return b.Bytes(), order, nil
}

// writeString appends s to b as a JSON string, without the HTML escaping of
// json.Marshal, so that names stay readable in the header.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	// Encoding a valid string into a bytes.Buffer cannot fail.
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // the newline Encode adds
}
