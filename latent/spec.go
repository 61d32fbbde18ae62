package latent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Names of the model families understood by ParseSpec and MarshalSpec.
const (
	// FamilyLinearGaussian is the family name of LinearGaussian:
	//
	//	{"family": "linear-gaussian", "W": [[…], …], "b": […], "noise_std": 0.5}
	//
	// W is the D×d loading matrix, row by row; b has D entries.
	FamilyLinearGaussian = "linear-gaussian"
	// FamilyGaussianMixture is the family name of GaussianMixture:
	//
	//	{"family": "gaussian-mixture", "weights": […], "means": [[…], …], "stds": [[…], …]}
	//
	// weights has K entries; means and stds are K×D, one component per row.
	FamilyGaussianMixture = "gaussian-mixture"
)

// Families returns the names of the model families that ParseSpec accepts, in
// a new slice.
func Families() []string {
	return []string{FamilyLinearGaussian, FamilyGaussianMixture}
}

// linearGaussianSpec is the JSON form of a LinearGaussian.
type linearGaussianSpec struct {
	Family   string      `json:"family"`
	W        [][]float64 `json:"W"`
	B        []float64   `json:"b"`
	NoiseStd *float64    `json:"noise_std"`
}

// gaussianMixtureSpec is the JSON form of a GaussianMixture.
type gaussianMixtureSpec struct {
	Family  string      `json:"family"`
	Weights []float64   `json:"weights"`
	Means   [][]float64 `json:"means"`
	Stds    [][]float64 `json:"stds"`
}

// knownFamilies is the list of families for error messages.
func knownFamilies() string {
	return "known families: " + strings.Join(Families(), ", ")
}

// ParseSpec parses a JSON model specification and returns the model it
// describes, a LinearGaussian or a GaussianMixture (see FamilyLinearGaussian
// and FamilyGaussianMixture for the formats). Parsing is strict: unknown
// fields, missing fields, trailing data, shapes that do not fit together and
// invalid parameters are errors. An error message says what is wrong and what
// was expected (with the byte offset for malformed JSON) and never names a
// file, so that callers can prefix one; see LoadSpec.
func ParseSpec(data []byte) (Model, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty model specification, want a JSON object with a \"family\" field (" + knownFamilies() + ")")
	}
	// A lenient first pass reads the family and reports malformed JSON
	// anywhere in data, trailing data included.
	var head struct {
		Family *string `json:"family"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError("", err)
	}
	if head.Family == nil {
		return nil, errors.New("missing \"family\" (" + knownFamilies() + ")")
	}
	switch *head.Family {
	case FamilyLinearGaussian:
		var s linearGaussianSpec
		if err := decodeStrict(data, &s); err != nil {
			return nil, jsonError(FamilyLinearGaussian, err)
		}
		m, err := s.model()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", FamilyLinearGaussian, err)
		}
		return m, nil
	case FamilyGaussianMixture:
		var s gaussianMixtureSpec
		if err := decodeStrict(data, &s); err != nil {
			return nil, jsonError(FamilyGaussianMixture, err)
		}
		m, err := s.model()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", FamilyGaussianMixture, err)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("unknown family %q (%s)", *head.Family, knownFamilies())
	}
}

// LoadSpec reads the JSON model specification in the named file and parses it
// with ParseSpec. Errors name the file.
func LoadSpec(path string) (Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *fs.PathError names the file.
	}
	m, err := ParseSpec(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// decodeStrict decodes the single JSON value in data into v, rejecting
// unknown fields.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// jsonError turns an error from encoding/json into a message for a model
// specification of the given family ("" if not yet known).
func jsonError(family string, err error) error {
	prefix := ""
	if family != "" {
		prefix = family + ": "
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%smalformed JSON at offset %d: %w", prefix, syn.Offset, err)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("%sthe model specification is a JSON %s at offset %d, want a JSON object", prefix, typ.Value, typ.Offset)
		}
		what := "JSON " + typ.Value
		if strings.HasPrefix(typ.Value, "number ") {
			// encoding/json includes the literal only for a number that
			// does not fit the Go type: here, one that overflows float64.
			what = "out-of-range JSON " + typ.Value
		}
		return fmt.Errorf("%sfield %q at offset %d: got %s, want %s", prefix, typ.Field, typ.Offset, what, typeName(typ.Type))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%smalformed JSON: unexpected end of input", prefix)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		var fields string
		switch family {
		case FamilyLinearGaussian:
			fields = jsonFields(linearGaussianSpec{})
		case FamilyGaussianMixture:
			fields = jsonFields(gaussianMixtureSpec{})
		}
		return fmt.Errorf("%sunknown field %s (known fields: %s)", prefix, name, fields)
	}
	return fmt.Errorf("%s%w", prefix, err)
}

// typeName describes a Go type of a spec field in JSON terms.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.Float64:
			return "an array of numbers"
		case reflect.Slice:
			return "an array of arrays of numbers"
		}
	}
	return t.String()
}

// jsonFields lists the JSON names of the fields of the struct v.
func jsonFields(v any) string {
	t := reflect.TypeOf(v)
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
	}
	return strings.Join(names, ", ")
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}

// matrix checks that rows is a non-empty rectangular array of finite numbers
// (with want columns if want > 0) and returns it as a Dense.
func matrix(name string, rows [][]float64, want int) (*mat.Dense, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("missing or empty %q", name)
	}
	c := len(rows[0])
	if want > 0 {
		c = want
	}
	if c == 0 {
		return nil, fmt.Errorf("%s[0] is empty", name)
	}
	data := make([]float64, 0, len(rows)*c)
	for i, row := range rows {
		if len(row) != c {
			if want > 0 {
				return nil, fmt.Errorf("%s[%d] has %d columns, want %d", name, i, len(row), c)
			}
			return nil, fmt.Errorf("%s[%d] has %d columns, want %d (as %s[0])", name, i, len(row), c, name)
		}
		for j, v := range row {
			if !finite(v) {
				return nil, fmt.Errorf("%s[%d][%d] is %v, want a finite number", name, i, j, v)
			}
		}
		data = append(data, row...)
	}
	return mat.NewDense(len(rows), c, data), nil
}

// model checks s and returns the LinearGaussian it describes.
func (s linearGaussianSpec) model() (LinearGaussian, error) {
	w, err := matrix("W", s.W, 0)
	if err != nil {
		return LinearGaussian{}, err
	}
	D, _ := w.Dims()
	if s.B == nil {
		return LinearGaussian{}, fmt.Errorf("missing \"b\" (an array of %d numbers, one per row of W)", D)
	}
	if len(s.B) != D {
		return LinearGaussian{}, fmt.Errorf("b has %d entries, want %d (rows of W)", len(s.B), D)
	}
	for j, v := range s.B {
		if !finite(v) {
			return LinearGaussian{}, fmt.Errorf("b[%d] is %v, want a finite number", j, v)
		}
	}
	if s.NoiseStd == nil {
		return LinearGaussian{}, errors.New("missing \"noise_std\" (a positive number)")
	}
	if sd := *s.NoiseStd; !(sd > 0) || math.IsInf(sd, 1) {
		return LinearGaussian{}, fmt.Errorf("noise_std is %v, want a positive finite number", sd)
	}
	if _, d := w.Dims(); d > MaxSpecLatentDim {
		return LinearGaussian{}, fmt.Errorf("the loading matrix W has %d columns (latent dimensions), more than the limit of %d", d, MaxSpecLatentDim)
	}
	m := LinearGaussian{W: w, B: append([]float64(nil), s.B...), NoiseStd: *s.NoiseStd}
	if err := m.Validate(); err != nil {
		return LinearGaussian{}, err
	}
	if err := linearGaussianNumerics(m); err != nil {
		return LinearGaussian{}, err
	}
	return m, nil
}

// MaxSpecLatentDim bounds the latent dimension d of a linear-Gaussian spec:
// its exact posterior and evidence factorise a d×d matrix.
const MaxSpecLatentDim = 10000

// Numeric bounds of a spec: squares of standard deviations and of scaled
// deviations must stay well inside the float64 range, and the posterior
// precision must be well-conditioned enough to factorise.
const (
	minStd  = 1e-150
	maxStd  = 1e150
	maxCond = 1e13
)

// linearGaussianNumerics checks that the log densities of m can be computed
// in float64: noise_std² and 1/noise_std² are finite and non-zero, the
// posterior precision I + WᵀW/noise_std² is finite and positive definite
// with a condition number below maxCond, and log p(x) at x = b is finite.
// Its messages name the spec field to change.
func linearGaussianNumerics(m LinearGaussian) error {
	sd := m.NoiseStd
	if sd < minStd || sd > maxStd {
		return fmt.Errorf("noise_std is %v: too extreme to compute with (want a value between %g and %g)", sd, minStd, maxStd)
	}
	_, d := m.W.Dims()
	lambda := mat.NewSymDense(d, nil)
	lambda.SymOuterK(1/(sd*sd), m.W.T())
	for i := 0; i < d; i++ {
		lambda.SetSym(i, i, lambda.At(i, i)+1)
		for j := 0; j <= i; j++ {
			if v := lambda.At(i, j); math.IsInf(v, 0) || math.IsNaN(v) {
				return fmt.Errorf("the entries of W are too large for noise_std = %v: the posterior precision I + WᵀW/noise_std² overflows at [%d][%d] (scale W or noise_std down)", sd, i, j)
			}
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(lambda) {
		return fmt.Errorf("the posterior precision I + WᵀW/noise_std² is not positive definite in float64 (W or noise_std = %v is too extreme)", sd)
	}
	if c := chol.Cond(); !(c <= maxCond) {
		return fmt.Errorf("the posterior precision I + WᵀW/noise_std² has condition number %.3g, more than %g: noise_std = %v is too small for the scale of W to compute log p(x) reliably", c, maxCond, sd)
	}
	if v := m.LogEvidence(m.B); math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("log p(x) at x = b is %v: W or noise_std = %v is too extreme to compute with", v, sd)
	}
	return nil
}

// mixtureNumerics checks that the log densities of m can be computed in
// float64 wherever its components put their mass: every std lies within
// [minStd, maxStd], and the spread of the means along each axis, divided
// by any std along it, stays below maxStd, so that no squared deviation
// overflows.
func mixtureNumerics(m GaussianMixture) error {
	K, D := m.Means.Dims()
	for j := 0; j < D; j++ {
		lo, hi := m.Means.At(0, j), m.Means.At(0, j)
		for k := 1; k < K; k++ {
			lo, hi = min(lo, m.Means.At(k, j)), max(hi, m.Means.At(k, j))
		}
		for k := 0; k < K; k++ {
			sd := m.Stds.At(k, j)
			if sd < minStd || sd > maxStd {
				return fmt.Errorf("stds[%d][%d] is %v: too extreme to compute with (want a value between %g and %g)", k, j, sd, minStd, maxStd)
			}
			if spread := hi - lo; math.IsInf(spread, 0) || spread/sd > maxStd {
				return fmt.Errorf("means spread over %v along axis %d, too far for stds[%d][%d] = %v: the densities overflow (scale the means down)", spread, j, k, j, sd)
			}
		}
	}
	for k := 0; k < K; k++ {
		if v := m.LogEvidence(m.Means.RawRowView(k)); math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("log p(x) at means[%d] is %v: the parameters are too extreme to compute with", k, v)
		}
	}
	return nil
}

// model checks s and returns the GaussianMixture it describes.
func (s gaussianMixtureSpec) model() (GaussianMixture, error) {
	K := len(s.Weights)
	if K == 0 {
		return GaussianMixture{}, errors.New("missing or empty \"weights\" (an array of K positive numbers summing to 1)")
	}
	var sum float64
	for k, w := range s.Weights {
		if !(w > 0) || math.IsInf(w, 1) {
			return GaussianMixture{}, fmt.Errorf("weights[%d] is %v, want a positive finite number", k, w)
		}
		sum += w
	}
	if math.Abs(sum-1) > WeightSumTol {
		return GaussianMixture{}, fmt.Errorf("weights sum to %v, want 1 (within %g)", sum, WeightSumTol)
	}
	means, err := matrix("means", s.Means, 0)
	if err != nil {
		return GaussianMixture{}, err
	}
	r, D := means.Dims()
	if r != K {
		return GaussianMixture{}, fmt.Errorf("means has %d rows, want %d (entries of weights)", r, K)
	}
	stds, err := matrix("stds", s.Stds, D)
	if err != nil {
		return GaussianMixture{}, err
	}
	if r, _ := stds.Dims(); r != K {
		return GaussianMixture{}, fmt.Errorf("stds has %d rows, want %d (entries of weights)", r, K)
	}
	for k := 0; k < K; k++ {
		for j := 0; j < D; j++ {
			if v := stds.At(k, j); !(v > 0) {
				return GaussianMixture{}, fmt.Errorf("stds[%d][%d] is %v, want a positive number", k, j, v)
			}
		}
	}
	m := GaussianMixture{Weights: append([]float64(nil), s.Weights...), Means: means, Stds: stds}
	if err := m.Validate(); err != nil {
		return GaussianMixture{}, err
	}
	if err := mixtureNumerics(m); err != nil {
		return GaussianMixture{}, err
	}
	return m, nil
}

// MarshalSpec returns the JSON model specification of m, indented with one
// matrix row per line, such that ParseSpec returns an equal model (numbers are
// written in the shortest form that reads back exactly). m must be a
// LinearGaussian or a GaussianMixture (or a pointer to one) that passes
// Validate; other models are an error.
func MarshalSpec(m Model) ([]byte, error) {
	switch v := m.(type) {
	case *LinearGaussian:
		if v == nil {
			return nil, errors.New("latent: MarshalSpec of a nil *LinearGaussian")
		}
		return MarshalSpec(*v)
	case *GaussianMixture:
		if v == nil {
			return nil, errors.New("latent: MarshalSpec of a nil *GaussianMixture")
		}
		return MarshalSpec(*v)
	case LinearGaussian:
		if err := v.Validate(); err != nil {
			return nil, err
		}
		var b bytes.Buffer
		b.WriteString("{\n")
		writeField(&b, "family", strconv.Quote(FamilyLinearGaussian), true)
		writeField(&b, "W", matrixJSON(v.W), true)
		writeField(&b, "b", vectorJSON(v.B), true)
		writeField(&b, "noise_std", numberJSON(v.NoiseStd), false)
		b.WriteString("}\n")
		return b.Bytes(), nil
	case GaussianMixture:
		if err := v.Validate(); err != nil {
			return nil, err
		}
		var b bytes.Buffer
		b.WriteString("{\n")
		writeField(&b, "family", strconv.Quote(FamilyGaussianMixture), true)
		writeField(&b, "weights", vectorJSON(v.Weights), true)
		writeField(&b, "means", matrixJSON(v.Means), true)
		writeField(&b, "stds", matrixJSON(v.Stds), false)
		b.WriteString("}\n")
		return b.Bytes(), nil
	default:
		return nil, fmt.Errorf("latent: MarshalSpec: no specification format for %T (%s)", m, knownFamilies())
	}
}

// writeField writes one indented "name": value line of a JSON object.
func writeField(b *bytes.Buffer, name, value string, comma bool) {
	fmt.Fprintf(b, "  %q: %s", name, value)
	if comma {
		b.WriteByte(',')
	}
	b.WriteByte('\n')
}

// numberJSON formats a finite float64 as a JSON number that reads back
// exactly.
func numberJSON(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// vectorJSON formats a slice of finite numbers as a one-line JSON array.
func vectorJSON(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = numberJSON(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// matrixJSON formats a matrix as a JSON array of rows, one row per line.
func matrixJSON(a *mat.Dense) string {
	r, _ := a.Dims()
	rows := make([]string, r)
	for i := range rows {
		rows[i] = "    " + vectorJSON(a.RawRowView(i))
	}
	return "[\n" + strings.Join(rows, ",\n") + "\n  ]"
}
