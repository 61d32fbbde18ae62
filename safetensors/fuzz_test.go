package safetensors

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode checks that no input makes the decoder panic, that the sized
// (Unmarshal) and streaming (Decode) readers agree on what they accept, and
// that whatever they accept survives an encode-decode round trip. Run it with
//
//	go test -fuzz=FuzzDecode ./safetensors
func FuzzDecode(f *testing.F) {
	f.Add(handWritten)
	f.Add([]byte{})
	f.Add(withHeader(`{}`))
	f.Add(withHeader(`{"__metadata__":{"a":"b"},`+tensorJSON("w", "F32", "[1]", 0, 4)+`}`, 0, 0, 0x80, 0x3f))
	f.Add(withHeader(`{`+tensorJSON("a", "F16", "[2]", 0, 4)+`,`+tensorJSON("b", "U8", "[0]", 4, 4)+`}`, 1, 2, 3, 4))
	for _, name := range []string{"vae_f32", "halfs"} {
		if b, err := os.ReadFile(filepath.Join(fixtureDir, name+".safetensors")); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Unmarshal(b)
		streamed, serr := Decode(bytes.NewReader(b))
		if (err == nil) != (serr == nil) {
			t.Fatalf("Unmarshal error %v, Decode error %v", err, serr)
		}
		if err != nil {
			return
		}
		if !filesEqual(got, streamed) {
			t.Fatalf("Unmarshal and Decode disagree")
		}
		for name, tn := range got.Tensors {
			if err := tn.check(); err != nil {
				t.Fatalf("decoded tensor %q is inconsistent: %v", name, err)
			}
		}
		var buf bytes.Buffer
		if err := Encode(&buf, got); err != nil {
			t.Fatalf("Encode of a decoded file: %v", err)
		}
		again, err := Unmarshal(buf.Bytes())
		if err != nil {
			t.Fatalf("Unmarshal of a re-encoded file: %v", err)
		}
		if !filesEqual(got, again) {
			t.Fatalf("round trip changed the file")
		}
	})
}
