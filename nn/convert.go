package nn

// Conversions between the tape's float64 matrices and a program's
// buffers. Both are example-major and row-major, so each is one linear pass
// over the data.

// convert stores src in dst, converting the element type.
func convert[D, S float](dst []D, src []S) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = D(v)
	}
}

// addTo adds src to dst elementwise.
func addTo[S float](dst []float64, src []S) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += float64(v)
	}
}
