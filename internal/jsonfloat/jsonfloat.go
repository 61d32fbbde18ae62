// Package jsonfloat provides a float64 that encodes NaN and ±Inf as JSON
// null, for the machine-readable outputs of the command line and of the
// explore server (encoding/json refuses non-finite numbers).
package jsonfloat

import (
	"math"
	"strconv"
)

// Float is a float64 that encodes as a JSON number, or as null if it is NaN
// or infinite.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}
