package safetensors

import (
	"sort"
)

// MaxHeaderSize is the largest JSON header, in bytes, that Decode accepts and
// Encode writes. It is the limit of the reference implementation, which
// protects readers from a header length that would exhaust memory.
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key of the metadata map.
const metadataKey = "__metadata__"

// File is the content of a safetensors file: named tensors and a free-form
// metadata map of strings.
//
// A nil or empty Metadata map is written as no "__metadata__" entry at all, and
// a file without one decodes to a nil Metadata. The tensor name "__metadata__"
// is reserved.
type File struct {
	Metadata map[string]string
	Tensors  map[string]Tensor
}

// Names returns the names of the tensors of f in lexical order.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Tensors))
	for name := range f.Tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
