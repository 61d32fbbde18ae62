// Package safetensors reads and writes the safetensors checkpoint format, the
// tensor file format of Hugging Face that PyTorch reads with
// safetensors.torch.load_file and writes with safetensors.torch.save_file.
//
// A safetensors file is an 8-byte little-endian unsigned header length N, then
// N bytes of UTF-8 JSON, then a byte buffer holding the tensors. The JSON header
// is an object that maps each tensor name to its dtype, its shape and the
// [begin, end) byte range of its data in the buffer, plus an optional
// "__metadata__" object of string values. Tensor data are little-endian and
// row-major (C order); the tensors must cover the buffer exactly, without gaps
// or overlaps.
//
// vitool stores model weights this way. Layer weights follow PyTorch's
// nn.Linear convention (a weight has shape [out, in], a bias shape [out]),
// named like the state_dict of an nn.Sequential ("encoder.0.weight",
// "encoder.0.bias", ...), and the model architecture lives in the metadata.
//
// Decode, Unmarshal and ReadFile check every header field against the data
// before returning, so a malformed or hostile file gives an error, never a
// panic or an out-of-range read. Encode and WriteFile write deterministic
// output: the same File always gives the same bytes. WriteFile replaces its
// destination atomically.
package safetensors
