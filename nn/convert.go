package nn

// Conversions between the tape's float64 matrices and a program's
// buffers, with or without transposition. Each is one pass over the data;
// transpositions go in square tiles so that both sides stay in cache.

// tile is the side of the tiles of a transposition.
const tile = 32

// convert stores src in dst, converting the element type.
func convert[D, S float](dst []D, src []S) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = D(v)
	}
}

// transpose stores the transpose of the row-major r×c matrix src in dst
// (c×r, row-major), converting the element type.
func transpose[D, S float](dst []D, src []S, r, c int) {
	_ = dst[r*c-1]
	_ = src[r*c-1]
	for i0 := 0; i0 < r; i0 += tile {
		i1 := min(i0+tile, r)
		for j0 := 0; j0 < c; j0 += tile {
			j1 := min(j0+tile, c)
			for i := i0; i < i1; i++ {
				row := src[i*c+j0 : i*c+j1]
				for j, v := range row {
					dst[(j0+j)*r+i] = D(v)
				}
			}
		}
	}
}

// addTo adds src to dst elementwise.
func addTo[S float](dst []float64, src []S) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += float64(v)
	}
}

// addTransposed adds the transpose of the row-major r×c matrix src to dst
// (c×r, row-major).
func addTransposed[S float](dst []float64, src []S, r, c int) {
	_ = dst[r*c-1]
	_ = src[r*c-1]
	for i0 := 0; i0 < r; i0 += tile {
		i1 := min(i0+tile, r)
		for j0 := 0; j0 < c; j0 += tile {
			j1 := min(j0+tile, c)
			for i := i0; i < i1; i++ {
				row := src[i*c+j0 : i*c+j1]
				for j, v := range row {
					dst[(j0+j)*r+i] += float64(v)
				}
			}
		}
	}
}
