package safetensors

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// TestHeaderLengthLies decodes valid files whose header length field was
// changed, and checks that the message blames the length field rather
// than the header's encoding.
func TestHeaderLengthLies(t *testing.T) {
	var b bytes.Buffer
	f := &File{Metadata: map[string]string{"note": "café"}, Tensors: map[string]Tensor{"w": FromFloat32([]int{4}, []float32{1.5, 2, 3, 4})}}
	if err := Encode(&b, f); err != nil {
		t.Fatal(err)
	}
	good := b.Bytes()
	n := binary.LittleEndian.Uint64(good)
	// The offset of the last byte of "é" in the header.
	cut := uint64(bytes.Index(good[8:], []byte("é"))) + 1
	for _, c := range []struct {
		name   string
		length uint64
		want   string
	}{
		{"too large", n + 4, "is the length field too large?"},
		{"too small", n - 3, "is the length field too small"},
		{"cuts a character", cut, "is the length field too small"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := bytes.Clone(good)
			binary.LittleEndian.PutUint64(bad, c.length)
			_, err := Unmarshal(bad)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "UTF-8") {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}
