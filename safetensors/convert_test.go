package safetensors

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func TestFloat16ToFloat32(t *testing.T) {
	for _, tc := range []struct {
		bits uint16
		want float32
	}{
		{0x3c00, 1},
		{0xc100, -2.5},
		{0x7bff, 65504},                                 // largest finite
		{0xfbff, -65504},                                // most negative finite
		{0x0400, float32(math.Ldexp(1, -14))},           // smallest normal
		{0x03ff, float32(math.Ldexp(1023, -24))},        // largest subnormal
		{0x0001, float32(math.Ldexp(1, -24))},           // smallest subnormal
		{0x8001, -float32(math.Ldexp(1, -24))},          // negative subnormal
		{0x0200, float32(math.Ldexp(1, -15))},           // subnormal, power of two
		{0x3555, float32(math.Ldexp(0x555|0x400, -12))}, // 0.333251953125
		{0x7c00, float32(math.Inf(1))},
		{0xfc00, float32(math.Inf(-1))},
		{0x0000, 0},
		{0x4248, 3.140625},
	} {
		got := Float16ToFloat32(tc.bits)
		if math.Float32bits(got) != math.Float32bits(tc.want) {
			t.Errorf("Float16ToFloat32(%#04x) = %g (%#08x), want %g (%#08x)", tc.bits, got, math.Float32bits(got), tc.want, math.Float32bits(tc.want))
		}
	}
	if got := Float16ToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("Float16ToFloat32(0x8000) = %g, want -0", got)
	}
	for _, h := range []uint16{0x7e00, 0x7c01, 0xfe00, 0x7fff} {
		got := Float16ToFloat32(h)
		if !math.IsNaN(float64(got)) {
			t.Errorf("Float16ToFloat32(%#04x) = %g, want NaN", h, got)
		}
		if math.Signbit(float64(got)) != (h&0x8000 != 0) {
			t.Errorf("Float16ToFloat32(%#04x) lost the sign of the NaN", h)
		}
	}
}

// TestFloat16Exhaustive checks every finite half against the definition
// (-1)^s · 2^(e-15) · (1 + m/1024), or 2^-14 · m/1024 for subnormals.
func TestFloat16Exhaustive(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		s, e, m := h>>15, (h>>10)&0x1f, h&0x3ff
		if e == 0x1f {
			continue
		}
		var want float64
		if e == 0 {
			want = math.Ldexp(float64(m)/1024, -14)
		} else {
			want = math.Ldexp(1+float64(m)/1024, e-15)
		}
		if s == 1 {
			want = -want
		}
		if got := Float16ToFloat32(uint16(h)); float64(got) != want {
			t.Fatalf("Float16ToFloat32(%#04x) = %g, want %g", h, got, want)
		}
	}
}

func TestBFloat16ToFloat32(t *testing.T) {
	for _, tc := range []struct {
		bits uint16
		want float32
	}{
		{0x3f80, 1},
		{0xc020, -2.5},
		{0x4780, 65536},
		{0x7f7f, float32(math.Ldexp(255, 120))}, // largest finite: (2 - 2^-7) · 2^127
		{0x0080, float32(math.Ldexp(1, -126))},  // smallest normal
		{0x0001, float32(math.Ldexp(1, -133))},  // smallest subnormal
		{0x8001, -float32(math.Ldexp(1, -133))}, // negative subnormal
		{0x7f80, float32(math.Inf(1))},
		{0xff80, float32(math.Inf(-1))},
		{0x4049, 3.140625},
	} {
		got := BFloat16ToFloat32(tc.bits)
		if math.Float32bits(got) != math.Float32bits(tc.want) {
			t.Errorf("BFloat16ToFloat32(%#04x) = %g, want %g", tc.bits, got, tc.want)
		}
	}
	if got := BFloat16ToFloat32(0x7fc0); !math.IsNaN(float64(got)) {
		t.Errorf("BFloat16ToFloat32(0x7fc0) = %g, want NaN", got)
	}
}

// le16 returns the little-endian bytes of the given 16-bit words.
func le16(words ...uint16) []byte {
	var b []byte
	for _, w := range words {
		b = binary.LittleEndian.AppendUint16(b, w)
	}
	return b
}

func TestTensorFloats(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tensor Tensor
		want32 []float32
		want64 []float64
	}{
		{
			name:   "F32",
			tensor: FromFloat32([]int{3}, []float32{1, -2.5, 0.1}),
			want32: []float32{1, -2.5, 0.1},
			want64: []float64{1, -2.5, float64(float32(0.1))},
		},
		{
			name:   "F64",
			tensor: FromFloat64([]int{2, 2}, []float64{1, 0.1, 1e300, -1e-300}),
			want32: []float32{1, 0.1, float32(math.Inf(1)), float32(math.Copysign(0, -1))},
			want64: []float64{1, 0.1, 1e300, -1e-300},
		},
		{
			name:   "F16",
			tensor: Tensor{DType: F16, Shape: []int{4}, Data: le16(0x3c00, 0xc100, 0x7bff, 0x0001)},
			want32: []float32{1, -2.5, 65504, float32(math.Ldexp(1, -24))},
			want64: []float64{1, -2.5, 65504, math.Ldexp(1, -24)},
		},
		{
			name:   "BF16",
			tensor: Tensor{DType: BF16, Shape: []int{}, Data: le16(0xc020)},
			want32: []float32{-2.5},
			want64: []float64{-2.5},
		},
		{
			name:   "empty",
			tensor: FromFloat32([]int{0, 5}, nil),
			want32: []float32{},
			want64: []float64{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got32, err := tc.tensor.Float32s()
			if err != nil {
				t.Fatalf("Float32s: %v", err)
			}
			if len(got32) != len(tc.want32) {
				t.Fatalf("Float32s: %d values, want %d", len(got32), len(tc.want32))
			}
			for i := range got32 {
				if math.Float32bits(got32[i]) != math.Float32bits(tc.want32[i]) {
					t.Errorf("Float32s()[%d] = %g, want %g", i, got32[i], tc.want32[i])
				}
			}
			got64, err := tc.tensor.Float64s()
			if err != nil {
				t.Fatalf("Float64s: %v", err)
			}
			if len(got64) != len(tc.want64) {
				t.Fatalf("Float64s: %d values, want %d", len(got64), len(tc.want64))
			}
			for i := range got64 {
				if math.Float64bits(got64[i]) != math.Float64bits(tc.want64[i]) {
					t.Errorf("Float64s()[%d] = %g, want %g", i, got64[i], tc.want64[i])
				}
			}
		})
	}
}

func TestTensorFloatsErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tensor Tensor
		want   string
	}{
		{name: "integer dtype", tensor: Tensor{DType: I32, Shape: []int{1}, Data: make([]byte, 4)}, want: "cannot convert dtype I32"},
		{name: "bool dtype", tensor: Tensor{DType: Bool, Shape: []int{1}, Data: []byte{1}}, want: "cannot convert dtype BOOL"},
		{name: "unknown dtype", tensor: Tensor{DType: "Q4", Shape: []int{1}, Data: []byte{1}}, want: `unknown dtype "Q4"`},
		{name: "short data", tensor: Tensor{DType: F32, Shape: []int{2, 2}, Data: make([]byte, 12)}, want: "data has 12 bytes, but shape [2 2] of dtype F32 needs 16"},
		{name: "negative dimension", tensor: Tensor{DType: F16, Shape: []int{-2}}, want: "negative dimension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.tensor.Float32s(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Float32s error %v, want one containing %q", err, tc.want)
			}
			if _, err := tc.tensor.Float64s(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Float64s error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestFromFloatCopies(t *testing.T) {
	shape := []int{2}
	data := []float32{1, 2}
	tn := FromFloat32(shape, data)
	shape[0], data[0] = 7, 7
	got, err := tn.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	if tn.Shape[0] != 2 || got[0] != 1 {
		t.Errorf("FromFloat32 shares memory with its arguments: shape %v, data %v", tn.Shape, got)
	}
}

func TestFromFloatPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{name: "F32 too few", f: func() { FromFloat32([]int{2, 2}, make([]float32, 3)) }, want: "shape [2 2] has 4 elements, data has 3"},
		{name: "F32 scalar", f: func() { FromFloat32(nil, nil) }, want: "shape [] has 1 elements, data has 0"},
		{name: "F64 negative", f: func() { FromFloat64([]int{-1}, nil) }, want: "negative dimension"},
		{name: "NumElements negative", f: func() { _ = Tensor{Shape: []int{3, -1}}.NumElements() }, want: "negative dimension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}

func TestDTypeSize(t *testing.T) {
	for _, tc := range []struct {
		dtype DType
		size  int
	}{
		{Bool, 1}, {U8, 1}, {I8, 1}, {U16, 2}, {I16, 2}, {F16, 2}, {BF16, 2},
		{U32, 4}, {I32, 4}, {F32, 4}, {U64, 8}, {I64, 8}, {F64, 8},
		{"F8_E4M3", 0}, {"f32", 0}, {"", 0},
	} {
		if got := tc.dtype.Size(); got != tc.size {
			t.Errorf("DType(%q).Size() = %d, want %d", tc.dtype, got, tc.size)
		}
	}
}
