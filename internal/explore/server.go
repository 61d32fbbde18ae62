package explore

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/http"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/figure"
)

//go:embed static
var staticFS embed.FS

// Limits bound what one request may ask for.
type Limits struct {
	// MaxK is the largest number of samples K of one log p(x) estimate.
	MaxK int
	// MaxSamples is the largest number of prior samples per request.
	MaxSamples int
	// MaxSteps is the largest number of images along an interpolation.
	MaxSteps int
	// MaxCoord is the largest absolute plane coordinate that may be decoded.
	MaxCoord float64
}

// DefaultLimits are the limits of a Config that sets none.
var DefaultLimits = Limits{MaxK: 20000, MaxSamples: 64, MaxSteps: 32, MaxCoord: 1000}

// Config is what a Server shows.
type Config struct {
	// VAE is the variational autoencoder; it must be set.
	VAE *amortized.VAE
	// AE is the plain autoencoder shown beside it, or nil.
	AE *amortized.AE
	// Data are the test points drawn on the planes and offered for
	// interpolation and estimation; their labels, if any, colour them.
	Data *dataset.Dataset
	// EvalData, if not nil, are the same points as the VAE's likelihood
	// sees them (for instance binarised once), used for log p(x); it must
	// have Data's shape. Nil means Data.
	EvalData *dataset.Dataset
	// Shape is the image shape of a point.
	Shape figure.Shape
	// Seed determines the draws of the log p(x) estimates.
	Seed uint64
	// VAEName, AEName and DataName describe the models and the data on
	// the page.
	VAEName, AEName, DataName string
	// NoAE is shown in place of the autoencoder when AE is nil.
	NoAE string
	// Limits bound the requests; zero fields take DefaultLimits.
	Limits Limits
}

// Server serves the explorer page and its JSON endpoints. It is an
// http.Handler, safe for concurrent use.
type Server struct {
	cfg    Config
	lim    Limits
	models map[string]*model
	est    chan struct{} // one estimate at a time
	mux    *http.ServeMux
}

// model is one of the two models with its plane.
type model struct {
	Name      string      `json:"name"`
	Title     string      `json:"title"`
	Desc      string      `json:"desc"`
	Latent    int         `json:"latent"`
	Space     string      `json:"space"`
	Plane     string      `json:"plane"`
	Explained jsonFloat   `json:"explained"`
	Extent    [4]float64  `json:"extent"` // umin, umax, vmin, vmax
	Origin    *[2]float64 `json:"origin"` // where z = 0 lies on the plane; nil for L = 1
	proj      *Projection
	codes     *mat.Dense // n×L encoded test points (VAE: means)
	u, v      []float64  // their plane coordinates
	decode    func(z mat.Matrix) *mat.Dense
}

// New returns a server for cfg. It encodes the test points and chooses the
// planes; it returns an error if cfg is incomplete or inconsistent.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.VAE == nil:
		return nil, errors.New("explore: no VAE")
	case cfg.Data == nil || cfg.Data.N == 0:
		return nil, errors.New("explore: no test data")
	case cfg.Shape.Rows*cfg.Shape.Cols != cfg.Data.D:
		return nil, fmt.Errorf("explore: image shape %dx%d does not hold the %d values of a point", cfg.Shape.Rows, cfg.Shape.Cols, cfg.Data.D)
	case cfg.VAE.DataDim() != cfg.Data.D:
		return nil, fmt.Errorf("explore: the VAE models %d values per point, the data have %d", cfg.VAE.DataDim(), cfg.Data.D)
	case cfg.AE != nil && cfg.AE.Config.DataDim != cfg.Data.D:
		return nil, fmt.Errorf("explore: the autoencoder models %d values per point, the data have %d", cfg.AE.Config.DataDim, cfg.Data.D)
	case cfg.EvalData != nil && (cfg.EvalData.N != cfg.Data.N || cfg.EvalData.D != cfg.Data.D):
		return nil, fmt.Errorf("explore: evaluation data %d×%d differ in shape from the data %d×%d", cfg.EvalData.N, cfg.EvalData.D, cfg.Data.N, cfg.Data.D)
	}
	if cfg.EvalData == nil {
		cfg.EvalData = cfg.Data
	}
	lim := cfg.Limits
	if lim.MaxK <= 0 {
		lim.MaxK = DefaultLimits.MaxK
	}
	if lim.MaxSamples <= 0 {
		lim.MaxSamples = DefaultLimits.MaxSamples
	}
	if lim.MaxSteps < 2 {
		lim.MaxSteps = DefaultLimits.MaxSteps
	}
	if !(lim.MaxCoord > 0) || math.IsInf(lim.MaxCoord, 0) {
		lim.MaxCoord = DefaultLimits.MaxCoord
	}
	s := &Server{cfg: cfg, lim: lim, models: map[string]*model{}, est: make(chan struct{}, 1)}
	x := cfg.Data.Dense()
	mu, _ := cfg.VAE.Encode(x)
	vae, err := newModel("vae", "VAE", "latent", cfg.VAEName, mu, cfg.VAE.DecodeMean)
	if err != nil {
		return nil, err
	}
	s.models["vae"] = vae
	if cfg.AE != nil {
		ae, err := newModel("ae", "Autoencoder", "code", cfg.AEName, cfg.AE.Encode(x), cfg.AE.DecodeMean)
		if err != nil {
			return nil, err
		}
		s.models["ae"] = ae
	}
	s.mux = http.NewServeMux()
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded folder exists
	}
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", s.handleIndex)
	s.mux.HandleFunc("GET /api/info", s.handleInfo)
	s.mux.HandleFunc("GET /api/latents", s.handleLatents)
	s.mux.HandleFunc("GET /api/decode", s.handleDecode)
	s.mux.HandleFunc("GET /api/digit", s.handleDigit)
	s.mux.HandleFunc("GET /api/interpolate", s.handleInterpolate)
	s.mux.HandleFunc("GET /api/samples", s.handleSamples)
	s.mux.HandleFunc("GET /api/estimate", s.handleEstimate)
	return s, nil
}

// newModel returns the model whose encoded test points are codes: it chooses
// the plane and the window drawn, which holds the codes and ±3 standard
// deviations of N(0, I) (the VAE's prior, and where the samples of both
// models are drawn).
func newModel(name, title, space, desc string, codes *mat.Dense, decode func(mat.Matrix) *mat.Dense) (*model, error) {
	proj, err := NewProjection(codes, space)
	if err != nil {
		return nil, fmt.Errorf("explore: %s: %v", title, err)
	}
	n, l := codes.Dims()
	m := &model{Name: name, Title: title, Desc: desc, Latent: l, Space: space, Plane: proj.Text,
		Explained: jsonFloat(proj.Explained), proj: proj, codes: codes, decode: decode,
		u: make([]float64, n), v: make([]float64, n)}
	for i := range n {
		m.u[i], m.v[i] = proj.Project(codes.RawRowView(i))
	}
	if l == 1 {
		m.v = spread(n)
	}
	if l > 1 {
		u0, v0 := proj.Project(make([]float64, l))
		m.Origin = &[2]float64{u0, v0}
	}
	m.Extent = extent(m.u, m.v, m.Origin)
	return m, nil
}

// extent returns a square window [umin, umax] × [vmin, vmax] that holds every
// point with a margin, and ±3 around the point prior if it is not nil (three
// standard deviations of the prior).
func extent(u, v []float64, prior *[2]float64) [4]float64 {
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	if prior != nil {
		lo, hi = [2]float64{prior[0] - 3, prior[1] - 3}, [2]float64{prior[0] + 3, prior[1] + 3}
	}
	for i := range u {
		for a, x := range [2]float64{u[i], v[i]} {
			lo[a], hi[a] = math.Min(lo[a], x), math.Max(hi[a], x)
		}
	}
	half := 0.0
	for a := range 2 {
		half = math.Max(half, (hi[a]-lo[a])/2)
	}
	if !(half > 0) {
		half = 1
	}
	half *= 1.08
	var e [4]float64
	for a := range 2 {
		c := (lo[a] + hi[a]) / 2
		e[2*a], e[2*a+1] = c-half, c+half
	}
	return e
}

// ServeHTTP serves the page, its assets and the JSON endpoints. It answers
// only requests addressed to a loopback host name, which keeps other web
// sites from reaching the server through DNS rebinding.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !loopbackHost(r.Host) {
		http.Error(w, "explore answers only requests to localhost or a loopback address", http.StatusForbidden)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// loopbackHost reports whether host (a Host header, with or without port)
// names this machine: localhost or a loopback IP address.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) handleIndex(w http.ResponseWriter, _ *http.Request) {
	b, err := staticFS.ReadFile("static/index.html")
	if err != nil {
		panic(err) // embedded
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b)
}
