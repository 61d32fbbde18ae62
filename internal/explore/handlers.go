package explore

import (
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/dist"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/internal/jsonfloat"
	"github.com/vitool/vitool/mc"
)

// Labels of the random streams derived from Config.Seed and a request.
const (
	seedPrior   = 0x7072696f // naive Monte Carlo
	seedIS      = 0x6973     // importance sampling
	seedELBO    = 0x656c626f // ELBO
	seedSamples = 0x73616d70 // prior samples of /api/samples
)

// jsonFloat is a float64 that encodes NaN and ±Inf as JSON null.
type jsonFloat = jsonfloat.Float

// badRequest is an error in a request's parameters, answered with 400.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badf(format string, args ...any) error { return &badRequest{fmt.Sprintf(format, args...)} }

// writeJSON writes v as the JSON answer.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// The header is sent; the client sees a truncated body.
		return
	}
}

// writeError answers err as JSON {"error": "..."}: 400 for a bad request,
// 500 otherwise.
func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	if _, ok := err.(*badRequest); ok {
		code = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// intParam reads the integer parameter name from q, def if absent, and
// checks that it lies in [lo, hi].
func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, badf("%s: %q is not an integer", name, s)
	}
	if v < lo || v > hi {
		return 0, badf("%s: %d is outside [%d, %d]", name, v, lo, hi)
	}
	return v, nil
}

// model returns the model named by the parameter "model" (default vae).
func (s *Server) model(q url.Values) (*model, error) {
	name := q.Get("model")
	if name == "" {
		name = "vae"
	}
	m, ok := s.models[name]
	if !ok {
		if name == "ae" {
			return nil, badf("model: no autoencoder is loaded")
		}
		return nil, badf("model: unknown model %q (want vae or ae)", name)
	}
	return m, nil
}

// point reads the index parameter name of a test point.
func (s *Server) point(q url.Values, name string, def int) (int, error) {
	return intParam(q, name, def, 0, s.cfg.Data.N-1)
}

// pixels returns an image as bytes 0–255 (values clamped to [0, 1]); JSON
// encodes them in base64. It returns an error if a value is NaN.
func pixels(img []float64) ([]byte, error) {
	b := make([]byte, len(img))
	for i, v := range img {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("the decoded image has a NaN pixel (%d)", i+1)
		}
		b[i] = byte(math.Round(255 * math.Min(1, math.Max(0, v))))
	}
	return b, nil
}

// decodeImages decodes every row of z and returns the images as bytes.
func decodeImages(m *model, z *mat.Dense) ([][]byte, error) {
	x := m.decode(z)
	n, _ := x.Dims()
	out := make([][]byte, n)
	for i := range n {
		var err error
		if out[i], err = pixels(x.RawRowView(i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// hexColor formats c as #rrggbb.
func hexColor(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

type limitsJSON struct {
	MaxK       int     `json:"max_k"`
	MaxSamples int     `json:"max_samples"`
	MaxSteps   int     `json:"max_steps"`
	MaxCoord   float64 `json:"max_coord"`
}

type infoJSON struct {
	Models     []*model   `json:"models"`
	NoAE       string     `json:"no_ae,omitempty"`
	Rows       int        `json:"rows"`
	Cols       int        `json:"cols"`
	N          int        `json:"n"`
	Labels     bool       `json:"labels"`
	Data       string     `json:"data"`
	Likelihood string     `json:"likelihood"`
	EvalDiffer bool       `json:"eval_differs"`
	Palette    []string   `json:"palette"`
	Limits     limitsJSON `json:"limits"`
}

func (s *Server) handleInfo(w http.ResponseWriter, _ *http.Request) {
	info := infoJSON{Models: []*model{s.models["vae"]}, Rows: s.cfg.Shape.Rows, Cols: s.cfg.Shape.Cols,
		N: s.cfg.Data.N, Labels: s.cfg.Data.Labels != nil, Data: s.cfg.DataName,
		Likelihood: s.cfg.VAE.Config.Likelihood.String(), EvalDiffer: s.cfg.EvalData != s.cfg.Data,
		Limits: limitsJSON{MaxK: s.lim.MaxK, MaxSamples: s.lim.MaxSamples, MaxSteps: s.lim.MaxSteps, MaxCoord: s.lim.MaxCoord}}
	if ae := s.models["ae"]; ae != nil {
		info.Models = append(info.Models, ae)
	} else {
		info.NoAE = s.cfg.NoAE
	}
	for _, c := range figure.Palette {
		info.Palette = append(info.Palette, hexColor(c))
	}
	writeJSON(w, info)
}

type latentsJSON struct {
	Model  string      `json:"model"`
	U      []jsonFloat `json:"u"`
	V      []jsonFloat `json:"v"`
	Labels []int       `json:"labels"`
}

func (s *Server) handleLatents(w http.ResponseWriter, r *http.Request) {
	m, err := s.model(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	out := latentsJSON{Model: m.Name, U: make([]jsonFloat, len(m.u)), V: make([]jsonFloat, len(m.v)), Labels: s.cfg.Data.Labels}
	for i := range m.u {
		out.U[i], out.V[i] = jsonFloat(m.u[i]), jsonFloat(m.v[i])
	}
	writeJSON(w, out)
}

type decodeJSON struct {
	Model  string      `json:"model"`
	Z      [2]float64  `json:"z"`
	Latent []jsonFloat `json:"latent"`
	Image  []byte      `json:"image"`
}

// planePoint reads "z=u,v": two finite coordinates within the limit.
func (s *Server) planePoint(q url.Values) (u, v float64, err error) {
	str := q.Get("z")
	parts := strings.Split(str, ",")
	if len(parts) != 2 {
		return 0, 0, badf("z: %q: want two coordinates u,v such as z=0.5,-1", str)
	}
	var c [2]float64
	for a, p := range parts {
		c[a], err = strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(c[a]) || math.Abs(c[a]) > s.lim.MaxCoord {
			return 0, 0, badf("z: %q: want two finite coordinates of absolute value at most %g", str, s.lim.MaxCoord)
		}
	}
	return c[0], c[1], nil
}

func (s *Server) handleDecode(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	m, err := s.model(q)
	if err != nil {
		writeError(w, err)
		return
	}
	u, v, err := s.planePoint(q)
	if err != nil {
		writeError(w, err)
		return
	}
	z := m.proj.Lift(nil, u, v)
	imgs, err := decodeImages(m, mat.NewDense(1, len(z), z))
	if err != nil {
		writeError(w, err)
		return
	}
	out := decodeJSON{Model: m.Name, Z: [2]float64{u, v}, Latent: make([]jsonFloat, len(z)), Image: imgs[0]}
	for j, zj := range z {
		out.Latent[j] = jsonFloat(zj)
	}
	writeJSON(w, out)
}

type digitJSON struct {
	I     int    `json:"i"`
	Label int    `json:"label"` // −1 without labels
	Image []byte `json:"image"`
	Eval  []byte `json:"eval_image"` // the image as the likelihood sees it
}

// digit returns test point i.
func (s *Server) digit(i int) (digitJSON, error) {
	d := digitJSON{I: i, Label: -1}
	if s.cfg.Data.Labels != nil {
		d.Label = s.cfg.Data.Labels[i]
	}
	var err error
	if d.Image, err = pixels(s.cfg.Data.Float64Row(nil, i)); err != nil {
		return d, err
	}
	d.Eval, err = pixels(s.cfg.EvalData.Float64Row(nil, i))
	return d, err
}

func (s *Server) handleDigit(w http.ResponseWriter, r *http.Request) {
	i, err := s.point(r.URL.Query(), "i", 0)
	if err != nil {
		writeError(w, err)
		return
	}
	d, err := s.digit(i)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, d)
}

type pointsJSON struct {
	Model  string         `json:"model"`
	Points [][2]jsonFloat `json:"points"`
	Images [][]byte       `json:"images"`
}

// pointsOf returns the plane coordinates of the rows of z.
func pointsOf(m *model, z *mat.Dense) [][2]jsonFloat {
	n, _ := z.Dims()
	pts := make([][2]jsonFloat, n)
	for i := range n {
		u, v := m.proj.Project(z.RawRowView(i))
		if m.Latent == 1 {
			v = 0
		}
		pts[i] = [2]jsonFloat{jsonFloat(u), jsonFloat(v)}
	}
	return pts
}

func (s *Server) handleInterpolate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	m, err := s.model(q)
	if err != nil {
		writeError(w, err)
		return
	}
	a, err := s.point(q, "a", 0)
	if err != nil {
		writeError(w, err)
		return
	}
	b, err := s.point(q, "b", min(1, s.cfg.Data.N-1))
	if err != nil {
		writeError(w, err)
		return
	}
	steps, err := intParam(q, "steps", 10, 2, s.lim.MaxSteps)
	if err != nil {
		writeError(w, err)
		return
	}
	za, zb := m.codes.RawRowView(a), m.codes.RawRowView(b)
	z := mat.NewDense(steps, m.Latent, nil)
	for t := range steps {
		f := float64(t) / float64(steps-1)
		row := z.RawRowView(t)
		for j := range row {
			row[j] = (1-f)*za[j] + f*zb[j]
		}
	}
	imgs, err := decodeImages(m, z)
	if err != nil {
		writeError(w, err)
		return
	}
	pts := pointsOf(m, z)
	if m.Latent == 1 {
		for t := range pts {
			f := float64(t) / float64(steps-1)
			pts[t][1] = jsonFloat((1-f)*m.v[a] + f*m.v[b])
		}
	}
	writeJSON(w, pointsJSON{Model: m.Name, Points: pts, Images: imgs})
}

func (s *Server) handleSamples(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	m, err := s.model(q)
	if err != nil {
		writeError(w, err)
		return
	}
	n, err := intParam(q, "n", 16, 1, s.lim.MaxSamples)
	if err != nil {
		writeError(w, err)
		return
	}
	seed, err := intParam(q, "seed", 1, 0, math.MaxInt32)
	if err != nil {
		writeError(w, err)
		return
	}
	rnd := rand.New(rand.NewPCG(mc.DeriveSeed(uint64(seed), seedSamples), 0))
	z := mat.NewDense(n, m.Latent, nil)
	for i := range n {
		for j := range m.Latent {
			z.Set(i, j, rnd.NormFloat64())
		}
	}
	imgs, err := decodeImages(m, z)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, pointsJSON{Model: m.Name, Points: pointsOf(m, z), Images: imgs})
}

// estimateJSON is one estimate of log p(x).
type estimateJSON struct {
	K      int       `json:"k"`
	LogPX  jsonFloat `json:"logpx"`
	StdErr jsonFloat `json:"stderr"`
	KHat   jsonFloat `json:"khat"`
}

type estimatesJSON struct {
	Digit   digitJSON      `json:"digit"`
	Ks      []int          `json:"ks"`
	Prior   []estimateJSON `json:"prior"`
	IS      []estimateJSON `json:"is"`
	ELBO    estimateJSON   `json:"elbo"`
	Seconds float64        `json:"seconds"`
}

// ladder returns 1, 2, 5, 10, 20, 50, … up to k, and k itself.
func ladder(k int) []int {
	var ks []int
	for dec := 1; dec <= k; dec *= 10 {
		for _, f := range []int{1, 2, 5} {
			if f*dec < k {
				ks = append(ks, f*dec)
			}
		}
		if dec > k/10 {
			break
		}
	}
	return append(ks, k)
}

func toJSON(e mc.Estimate) estimateJSON {
	return estimateJSON{K: e.K, LogPX: jsonFloat(e.LogPX), StdErr: jsonFloat(e.StdErr), KHat: jsonFloat(e.KHat)}
}

func (s *Server) handleEstimate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	i, err := s.point(q, "i", 0)
	if err != nil {
		writeError(w, err)
		return
	}
	k, err := intParam(q, "k", min(1000, s.lim.MaxK), 1, s.lim.MaxK)
	if err != nil {
		writeError(w, err)
		return
	}
	select {
	case s.est <- struct{}{}:
		defer func() { <-s.est }()
	case <-r.Context().Done():
		return
	}
	start := time.Now()
	d, err := s.digit(i)
	if err != nil {
		writeError(w, err)
		return
	}
	out := estimatesJSON{Digit: d, Ks: ladder(k)}
	vae := s.cfg.VAE
	x := s.cfg.EvalData.Float64Row(nil, i)
	q0 := vae.Proposal(x)
	for _, kk := range out.Ks {
		if r.Context().Err() != nil {
			return // the page gave up on this request
		}
		p, err := mc.Prior(vae, x, kk, mc.Config{Seed: mc.DeriveSeed(s.cfg.Seed, seedPrior, uint64(i), uint64(kk))})
		if err != nil {
			writeError(w, err)
			return
		}
		is, err := mc.Importance(vae, q0, x, kk, mc.Config{Seed: mc.DeriveSeed(s.cfg.Seed, seedIS, uint64(i), uint64(kk))})
		if err != nil {
			writeError(w, err)
			return
		}
		out.Prior = append(out.Prior, toJSON(p))
		out.IS = append(out.IS, toJSON(is))
	}
	e, err := mc.ELBOAnalyticKL(vae, q0, x, min(k, 1000), mc.Config{Seed: mc.DeriveSeed(s.cfg.Seed, seedELBO, uint64(i))})
	if errors.Is(err, dist.ErrNoKL) {
		// An IAF encoder has no closed-form KL: sample it.
		e, err = mc.ELBO(vae, q0, x, min(k, 1000), mc.Config{Seed: mc.DeriveSeed(s.cfg.Seed, seedELBO, uint64(i))})
	}
	if err != nil {
		writeError(w, err)
		return
	}
	out.ELBO = toJSON(e)
	out.Seconds = time.Since(start).Seconds()
	writeJSON(w, out)
}
