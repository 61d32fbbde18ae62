package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log"

	"github.com/vitool/vitool/safetensors"
)

func ExampleEncode() {
	f := &safetensors.File{
		Metadata: map[string]string{"latent": "2", "activation": "tanh"},
		Tensors: map[string]safetensors.Tensor{
			// nn.Linear(3, 2): the weight has shape [out, in].
			"encoder.0.weight": safetensors.FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
			"encoder.0.bias":   safetensors.FromFloat32([]int{2}, []float32{-1, 1}),
		},
	}
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, f); err != nil {
		log.Fatal(err)
	}
	b := buf.Bytes()
	n := int(binary.LittleEndian.Uint64(b)) // the header length
	fmt.Printf("header (%d bytes): %s\n", n, bytes.TrimRight(b[8:8+n], " "))
	fmt.Printf("data: %d bytes\n", len(b)-8-n)
	// Output:
	// header (192 bytes): {"__metadata__":{"activation":"tanh","latent":"2"},"encoder.0.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"encoder.0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}
	// data: 32 bytes
}

func ExampleDecode() {
	// A checkpoint as PyTorch's safetensors.torch.save_file writes it.
	var buf bytes.Buffer
	err := safetensors.Encode(&buf, &safetensors.File{
		Metadata: map[string]string{"hidden": "200,200"},
		Tensors: map[string]safetensors.Tensor{
			"decoder.0.bias": safetensors.FromFloat32([]int{3}, []float32{0.5, -0.25, 2}),
			"step":           safetensors.FromFloat64(nil, []float64{1000}),
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	f, err := safetensors.Decode(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("hidden:", f.Metadata["hidden"])
	for _, name := range f.Names() {
		t := f.Tensors[name]
		vals, err := t.Float32s()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %s %v %v\n", name, t.DType, t.Shape, vals)
	}
	// Output:
	// hidden: 200,200
	// decoder.0.bias F32 [3] [0.5 -0.25 2]
	// step F64 [] [1000]
}
