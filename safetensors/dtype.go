package safetensors

// DType is the element type of a tensor, spelled as in the safetensors header.
type DType string

// The element types of the safetensors format.
const (
	Bool DType = "BOOL" // boolean, one byte, 0 or 1
	U8   DType = "U8"   // unsigned 8-bit integer
	I8   DType = "I8"   // signed 8-bit integer
	U16  DType = "U16"  // unsigned 16-bit integer
	I16  DType = "I16"  // signed 16-bit integer
	F16  DType = "F16"  // IEEE 754 half precision float
	BF16 DType = "BF16" // bfloat16: the upper 16 bits of a float32
	U32  DType = "U32"  // unsigned 32-bit integer
	I32  DType = "I32"  // signed 32-bit integer
	F32  DType = "F32"  // IEEE 754 single precision float
	U64  DType = "U64"  // unsigned 64-bit integer
	I64  DType = "I64"  // signed 64-bit integer
	F64  DType = "F64"  // IEEE 754 double precision float
)

// Size returns the number of bytes of one element of type d, or 0 if d is not
// a dtype this package knows.
func (d DType) Size() int {
	switch d {
	case Bool, U8, I8:
		return 1
	case U16, I16, F16, BF16:
		return 2
	case U32, I32, F32:
		return 4
	case U64, I64, F64:
		return 8
	}
	return 0
}
