package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Tensor is one tensor of a safetensors file: its element type, its shape and
// its data as raw little-endian bytes in row-major (C) order.
//
// An empty Shape is a scalar, which holds one element. A shape with a zero
// dimension holds no elements, and its Data is empty.
type Tensor struct {
	DType DType
	Shape []int
	Data  []byte
}

// NumElements returns the number of elements that t's shape describes: the
// product of its dimensions, 1 for a scalar. It does not look at t.Data.
// NumElements panics if a dimension is negative or the product overflows int.
func (t Tensor) NumElements() int {
	n, err := numElements(t.Shape)
	if err != nil {
		panic("safetensors: " + err.Error())
	}
	return n
}

// numElements returns the product of the dimensions of shape, or an error if a
// dimension is negative or the product overflows int.
func numElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		if d != 0 && n > math.MaxInt/d {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
		n *= d
	}
	return n, nil
}

// byteSize returns the number of bytes of a tensor of type dtype and the given
// shape, or an error if dtype is unknown, a dimension is negative or the size
// overflows int.
func byteSize(dtype DType, shape []int) (int, error) {
	size := dtype.Size()
	if size == 0 {
		return 0, fmt.Errorf("unknown dtype %q", string(dtype))
	}
	n, err := numElements(shape)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt/size {
		return 0, fmt.Errorf("shape %v has too many elements", shape)
	}
	return n * size, nil
}

// check returns an error if t's dtype is unknown, its shape invalid, or its Data
// does not have the length its dtype and shape call for.
func (t Tensor) check() error {
	want, err := byteSize(t.DType, t.Shape)
	if err != nil {
		return err
	}
	if len(t.Data) != want {
		return fmt.Errorf("data has %d bytes, but shape %v of dtype %s needs %d", len(t.Data), t.Shape, t.DType, want)
	}
	return nil
}

// Float32s returns the elements of t converted to float32. It accepts the
// floating-point dtypes: F32, F16 and BF16 convert exactly, and F64 is rounded
// to the nearest float32 (values beyond the float32 range become ±Inf). It
// returns an error for other dtypes or if the length of t.Data does not match
// t's dtype and shape.
func (t Tensor) Float32s() ([]float32, error) {
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	n := len(t.Data) / t.DType.Size()
	dst := make([]float32, n)
	b := t.Data
	switch t.DType {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
	case F16:
		for i := range dst {
			dst[i] = Float16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = BFloat16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	default:
		return nil, fmt.Errorf("safetensors: cannot convert dtype %s to float32", t.DType)
	}
	return dst, nil
}

// Float64s returns the elements of t converted to float64. It accepts the
// floating-point dtypes F64, F32, F16 and BF16, all of which convert exactly.
// It returns an error for other dtypes or if the length of t.Data does not
// match t's dtype and shape.
func (t Tensor) Float64s() ([]float64, error) {
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if t.DType == F64 {
		dst := make([]float64, len(t.Data)/8)
		for i := range dst {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
		}
		return dst, nil
	}
	if t.DType != F32 && t.DType != F16 && t.DType != BF16 {
		return nil, fmt.Errorf("safetensors: cannot convert dtype %s to float64", t.DType)
	}
	f32, err := t.Float32s()
	if err != nil {
		return nil, err
	}
	dst := make([]float64, len(f32))
	for i, v := range f32 {
		dst[i] = float64(v)
	}
	return dst, nil
}

// FromFloat32 returns an F32 tensor of the given shape holding a copy of data.
// It panics if a dimension is negative or len(data) is not the number of
// elements of shape.
func FromFloat32(shape []int, data []float32) Tensor {
	checkLen(shape, len(data))
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return Tensor{DType: F32, Shape: append([]int{}, shape...), Data: b}
}

// FromFloat64 returns an F64 tensor of the given shape holding a copy of data.
// It panics if a dimension is negative or len(data) is not the number of
// elements of shape.
func FromFloat64(shape []int, data []float64) Tensor {
	checkLen(shape, len(data))
	b := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return Tensor{DType: F64, Shape: append([]int{}, shape...), Data: b}
}

// checkLen panics unless shape is valid and has n elements.
func checkLen(shape []int, n int) {
	want, err := numElements(shape)
	if err != nil {
		panic("safetensors: " + err.Error())
	}
	if want != n {
		panic(fmt.Sprintf("safetensors: shape %v has %d elements, data has %d", shape, want, n))
	}
}

// Float16ToFloat32 returns the value of the IEEE 754 half-precision number with
// bits h as a float32. The conversion is exact for every value, subnormals,
// infinities and signed zeros included; a NaN keeps its sign and payload.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0: // signed zero
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: mant · 2⁻²⁴, a normal float32
		v := float32(math.Ldexp(float64(mant), -24))
		return math.Float32frombits(sign | math.Float32bits(v))
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp-15+127)<<23 | mant<<13)
}

// BFloat16ToFloat32 returns the value of the bfloat16 number with bits b as a
// float32. A bfloat16 is the upper half of a float32, so the conversion is
// exact for every value.
func BFloat16ToFloat32(b uint16) float32 {
	return math.Float32frombits(uint32(b) << 16)
}
