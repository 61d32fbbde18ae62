package explore

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/figure"
	"github.com/vitool/vitool/mc"
)

// testData returns the first n embedded MNIST test images (with labels).
func testData(t testing.TB, n int) *dataset.Dataset {
	t.Helper()
	sp, err := dataset.Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	return sp.Test.Head(n)
}

// untrained returns a VAE and an AE with random weights, latent size l.
func untrained(t testing.TB, l int) (*amortized.VAE, *amortized.AE) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(3, 0))
	v, err := amortized.NewVAE(amortized.VAEConfig{DataDim: 784, Latent: l, Hidden: []int{16}}, rnd)
	if err != nil {
		t.Fatal(err)
	}
	a, err := amortized.NewAE(amortized.AEConfig{DataDim: 784, Code: l, Hidden: []int{16}, Loss: amortized.BCE}, rnd)
	if err != nil {
		t.Fatal(err)
	}
	return v, a
}

// testLimits are small, so that the tests are fast and can exceed them.
var testLimits = Limits{MaxK: 300, MaxSamples: 8, MaxSteps: 6, MaxCoord: 50}

func newTestServer(t testing.TB, l int, withAE bool) (*Server, Config) {
	t.Helper()
	v, a := untrained(t, l)
	d := testData(t, 40)
	cfg := Config{VAE: v, Data: d, EvalData: d.Binarize(rand.New(rand.NewPCG(9, 0))), Shape: figure.Shape{Rows: 28, Cols: 28},
		Seed: 5, VAEName: "test vae", DataName: "test data", NoAE: "no ae here", Limits: testLimits}
	if withAE {
		cfg.AE, cfg.AEName = a, "test ae"
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, cfg
}

// get requests path from s and returns the status and body.
func get(t testing.TB, s http.Handler, path string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = "127.0.0.1:8080" // httptest's default host, example.com, is refused
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func getJSON(t testing.TB, s http.Handler, path string, v any) {
	t.Helper()
	code, body := get(t, s, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

// wantPixels returns the bytes the server should send for an image.
func wantPixels(img []float64) []byte {
	b := make([]byte, len(img))
	for i, v := range img {
		b[i] = byte(math.Round(255 * math.Min(1, math.Max(0, v))))
	}
	return b
}

// TestBadRequests checks that every out-of-range or malformed request is
// refused with its status and a message naming the parameter.
func TestBadRequests(t *testing.T) {
	s, _ := newTestServer(t, 2, false)
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/api/estimate?i=0&k=301", 400, "k: 301 is outside [1, 300]"},
		{"/api/estimate?i=0&k=0", 400, "k: 0 is outside"},
		{"/api/estimate?i=40&k=10", 400, "i: 40 is outside [0, 39]"},
		{"/api/estimate?i=-1", 400, "i: -1 is outside"},
		{"/api/estimate?i=x", 400, `i: "x" is not an integer`},
		{"/api/estimate?i=0&k=99999999999999999999", 400, "k: "},
		{"/api/decode?z=1", 400, "want two coordinates"},
		{"/api/decode?z=1,2,3", 400, "want two coordinates"},
		{"/api/decode?z=NaN,0", 400, "finite coordinates"},
		{"/api/decode?z=0,Inf", 400, "finite coordinates"},
		{"/api/decode?z=51,0", 400, "at most 50"},
		{"/api/decode?z=a,b", 400, "finite coordinates"},
		{"/api/decode?model=ae&z=0,0", 400, "no autoencoder is loaded"},
		{"/api/decode?model=pca&z=0,0", 400, `unknown model "pca"`},
		{"/api/samples?n=9", 400, "n: 9 is outside [1, 8]"},
		{"/api/samples?n=0", 400, "n: 0 is outside"},
		{"/api/samples?seed=-3", 400, "seed: -3 is outside"},
		{"/api/interpolate?a=0&b=1&steps=7", 400, "steps: 7 is outside [2, 6]"},
		{"/api/interpolate?a=0&b=1&steps=1", 400, "steps: 1 is outside"},
		{"/api/interpolate?a=0&b=400", 400, "b: 400 is outside"},
		{"/api/digit?i=40", 400, "i: 40 is outside"},
		{"/api/nothing", 404, ""},
		{"/index.html", 404, ""},
	} {
		code, body := get(t, s, tc.path)
		msg := string(body)
		if tc.code == 400 {
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
				t.Errorf("GET %s: the error is not JSON {\"error\": …}: %s", tc.path, body)
			}
			msg = e.Error
		}
		if code != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("GET %s: status %d, body %s; want %d containing %q", tc.path, code, body, tc.code, tc.want)
		}
	}
}

// TestMethodAndHost checks that only GET is served and only to loopback
// host names.
func TestMethodAndHost(t *testing.T) {
	s, _ := newTestServer(t, 2, false)
	for _, tc := range []struct {
		method, host string
		code         int
	}{
		{http.MethodGet, "127.0.0.1:8080", 200},
		{http.MethodGet, "localhost:1234", 200},
		{http.MethodGet, "[::1]:80", 200},
		{http.MethodGet, "127.3.4.5", 200},
		{http.MethodGet, "evil.example:8080", 403},
		{http.MethodGet, "192.168.1.2:8080", 403},
		{http.MethodPost, "127.0.0.1:8080", 405},
		{http.MethodPut, "127.0.0.1:8080", 405},
	} {
		req := httptest.NewRequest(tc.method, "/api/info", strings.NewReader("{}"))
		req.Host = tc.host
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != tc.code {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.host, rec.Code, tc.code)
		}
	}
}

// TestAssetsOffline checks that the page and its assets are served, with a
// content security policy that allows this server only, and that no
// embedded file names an address elsewhere.
func TestAssetsOffline(t *testing.T) {
	s, _ := newTestServer(t, 2, false)
	for _, tc := range []struct{ path, ctype, want string }{
		{"/", "text/html", `<script src="/static/app.js"`},
		{"/static/app.js", "javascript", "/api/decode"},
		{"/static/style.css", "text/css", "canvas"},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.Host = "localhost"
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), tc.ctype) || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("GET %s: status %d, type %q, body lacks %q", tc.path, rec.Code, rec.Header().Get("Content-Type"), tc.want)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q does not restrict loads to this server", tc.path, csp)
		}
	}
	err := fs.WalkDir(staticFS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(path)
		if err != nil {
			return err
		}
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s contains %q: the page must load nothing from the network", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInfo checks what the page is told about the models.
func TestInfo(t *testing.T) {
	for _, tc := range []struct {
		latent int
		withAE bool
		plane  string
	}{
		{1, true, "one dimension"},
		{2, false, "two dimensions"},
		{5, true, "first two principal components"},
	} {
		s, _ := newTestServer(t, tc.latent, tc.withAE)
		var info struct {
			Models []struct {
				Name, Plane string
				Latent      int
				Extent      [4]float64
				Origin      *[2]float64
			}
			NoAE        string `json:"no_ae"`
			Rows, Cols  int
			N           int
			Labels      bool
			EvalDiffers bool `json:"eval_differs"`
			Palette     []string
			Limits      struct {
				MaxK int `json:"max_k"`
			}
		}
		getJSON(t, s, "/api/info", &info)
		wantModels := 1
		if tc.withAE {
			wantModels = 2
		}
		if len(info.Models) != wantModels || info.Models[0].Name != "vae" || info.Models[0].Latent != tc.latent {
			t.Fatalf("L=%d: models %+v", tc.latent, info.Models)
		}
		if !strings.Contains(info.Models[0].Plane, tc.plane) {
			t.Errorf("L=%d: plane text %q lacks %q", tc.latent, info.Models[0].Plane, tc.plane)
		}
		if (info.NoAE != "") == tc.withAE {
			t.Errorf("L=%d, AE %v: no_ae = %q", tc.latent, tc.withAE, info.NoAE)
		}
		if (info.Models[0].Origin == nil) != (tc.latent == 1) {
			t.Errorf("L=%d: origin %v", tc.latent, info.Models[0].Origin)
		}
		e := info.Models[0].Extent
		if !(e[0] < e[1] && e[2] < e[3]) || math.Abs((e[1]-e[0])-(e[3]-e[2])) > 1e-9 {
			t.Errorf("L=%d: extent %v is not a square window", tc.latent, e)
		}
		if info.Rows != 28 || info.Cols != 28 || info.N != 40 || !info.Labels || !info.EvalDiffers || len(info.Palette) != 10 || info.Limits.MaxK != 300 {
			t.Errorf("L=%d: info %+v", tc.latent, info)
		}
	}
}

// latentsOf returns the /api/latents answer for a model.
func latentsOf(t *testing.T, s *Server, model string) (u, v []float64, labels []int) {
	t.Helper()
	var r struct {
		U, V   []float64
		Labels []int
	}
	getJSON(t, s, "/api/latents?model="+model, &r)
	return r.U, r.V, r.Labels
}

// TestLatents checks that the points are the projected codes of the test
// digits: for L = 2 the encoder means themselves, for L > 2 points whose
// lift and projection agree, and the labels of the data.
func TestLatents(t *testing.T) {
	for _, l := range []int{2, 4} {
		s, cfg := newTestServer(t, l, true)
		x := cfg.Data.Dense()
		mu, _ := cfg.VAE.Encode(x)
		for name, codes := range map[string]*mat.Dense{"vae": mu, "ae": cfg.AE.Encode(x)} {
			u, v, labels := latentsOf(t, s, name)
			if len(u) != cfg.Data.N || len(v) != cfg.Data.N || !slices.Equal(labels, cfg.Data.Labels) {
				t.Fatalf("L=%d %s: %d, %d points, labels %v", l, name, len(u), len(v), labels)
			}
			p := s.models[name].proj
			for i := range u {
				z := codes.RawRowView(i)
				wu, wv := p.Project(z)
				if l == 2 {
					wu, wv = z[0], z[1]
				}
				if math.Abs(u[i]-wu) > 1e-12 || math.Abs(v[i]-wv) > 1e-12 {
					t.Fatalf("L=%d %s: point %d at (%v, %v), want (%v, %v)", l, name, i, u[i], v[i], wu, wv)
				}
			}
		}
	}
}

// TestDecode checks that a plane point decodes to the decoder mean of its
// lifted latent vector, and that different points give different images.
func TestDecode(t *testing.T) {
	for _, l := range []int{1, 2, 3} {
		s, cfg := newTestServer(t, l, true)
		for _, name := range []string{"vae", "ae"} {
			var prev []byte
			for _, pt := range [][2]float64{{0, 0}, {1.5, -2}, {-3, 0.25}} {
				var r struct {
					Z      [2]float64
					Latent []float64
					Image  []byte
				}
				getJSON(t, s, "/api/decode?model="+name+"&z="+ftoa(pt[0])+","+ftoa(pt[1]), &r)
				z := s.models[name].proj.Lift(nil, pt[0], pt[1])
				var want *mat.Dense
				if name == "vae" {
					want = cfg.VAE.DecodeMean(mat.NewDense(1, l, z))
				} else {
					want = cfg.AE.DecodeMean(mat.NewDense(1, l, z))
				}
				if r.Z != pt || !slices.Equal(r.Latent, z) || !bytes.Equal(r.Image, wantPixels(want.RawRowView(0))) {
					t.Fatalf("L=%d %s: decode %v: z %v latent %v, want latent %v and the decoder's image", l, name, pt, r.Z, r.Latent, z)
				}
				if prev != nil && bytes.Equal(prev, r.Image) {
					t.Errorf("L=%d %s: the images at two points are identical", l, name)
				}
				prev = r.Image
			}
		}
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// TestInterpolate checks the number of images, that the ends are the
// decoded codes of the two digits, and the path's ends.
func TestInterpolate(t *testing.T) {
	s, cfg := newTestServer(t, 3, true)
	var r struct {
		Points [][2]float64
		Images [][]byte
	}
	getJSON(t, s, "/api/interpolate?model=vae&a=3&b=7&steps=5", &r)
	if len(r.Images) != 5 || len(r.Points) != 5 {
		t.Fatalf("%d images, %d points; want 5", len(r.Images), len(r.Points))
	}
	mu, _ := cfg.VAE.Encode(cfg.Data.Dense())
	for k, i := range map[int]int{0: 3, 4: 7} {
		want := cfg.VAE.DecodeMean(mat.NewDense(1, 3, mu.RawRowView(i)))
		if !bytes.Equal(r.Images[k], wantPixels(want.RawRowView(0))) {
			t.Errorf("image %d is not the decoded code of digit %d", k, i)
		}
		m := s.models["vae"]
		if math.Abs(r.Points[k][0]-m.u[i]) > 1e-12 || math.Abs(r.Points[k][1]-m.v[i]) > 1e-12 {
			t.Errorf("path point %d at %v, want digit %d's (%v, %v)", k, r.Points[k], i, m.u[i], m.v[i])
		}
	}
}

// TestSamples checks that samples are reproducible from their seed, differ
// between seeds, and are the decoded draws of N(0, I).
func TestSamples(t *testing.T) {
	s, cfg := newTestServer(t, 2, true)
	type answer struct {
		Points [][2]float64
		Images [][]byte
	}
	var a, b, c answer
	getJSON(t, s, "/api/samples?model=vae&n=8&seed=4", &a)
	getJSON(t, s, "/api/samples?model=vae&n=8&seed=4", &b)
	getJSON(t, s, "/api/samples?model=vae&n=8&seed=5", &c)
	if len(a.Images) != 8 || len(a.Points) != 8 {
		t.Fatalf("%d images, %d points; want 8", len(a.Images), len(a.Points))
	}
	if !slices.EqualFunc(a.Images, b.Images, bytes.Equal) || !slices.Equal(a.Points, b.Points) {
		t.Error("the same seed gave different samples")
	}
	if slices.Equal(a.Points, c.Points) {
		t.Error("seeds 4 and 5 gave the same samples")
	}
	for i, p := range a.Points {
		want := cfg.VAE.DecodeMean(mat.NewDense(1, 2, []float64{p[0], p[1]}))
		if !bytes.Equal(a.Images[i], wantPixels(want.RawRowView(0))) {
			t.Fatalf("sample %d is not the decoded image of its point %v", i, p)
		}
	}
}

// TestEstimate checks the K ladder, that each estimate is the mc estimator's
// with the documented seed on the evaluation data, and the ELBO.
func TestEstimate(t *testing.T) {
	s, cfg := newTestServer(t, 2, false)
	var r struct {
		Digit struct {
			I, Label  int
			Image     []byte
			EvalImage []byte `json:"eval_image"`
		}
		Ks        []int
		Prior, IS []struct {
			K                   int
			LogPX, StdErr, KHat *float64
		}
		ELBO struct {
			K     int
			LogPX *float64
		}
	}
	getJSON(t, s, "/api/estimate?i=6&k=300", &r)
	if !slices.Equal(r.Ks, []int{1, 2, 5, 10, 20, 50, 100, 200, 300}) || len(r.Prior) != len(r.Ks) || len(r.IS) != len(r.Ks) {
		t.Fatalf("ks %v, %d naive and %d IS estimates", r.Ks, len(r.Prior), len(r.IS))
	}
	if r.Digit.I != 6 || r.Digit.Label != cfg.Data.Labels[6] || !bytes.Equal(r.Digit.EvalImage, wantPixels(cfg.EvalData.Float64Row(nil, 6))) || !bytes.Equal(r.Digit.Image, wantPixels(cfg.Data.Float64Row(nil, 6))) {
		t.Errorf("digit %+v is not test point 6", r.Digit)
	}
	x := cfg.EvalData.Float64Row(nil, 6)
	for n, k := range r.Ks {
		p, err := mc.Prior(cfg.VAE, x, k, mc.Config{Seed: mc.DeriveSeed(5, seedPrior, 6, uint64(k))})
		if err != nil {
			t.Fatal(err)
		}
		is, err := mc.Importance(cfg.VAE, cfg.VAE.Proposal(x), x, k, mc.Config{Seed: mc.DeriveSeed(5, seedIS, 6, uint64(k))})
		if err != nil {
			t.Fatal(err)
		}
		if r.Prior[n].K != k || r.Prior[n].LogPX == nil || *r.Prior[n].LogPX != p.LogPX || r.IS[n].LogPX == nil || *r.IS[n].LogPX != is.LogPX {
			t.Errorf("K=%d: got naive %v, IS %v; want %v, %v", k, r.Prior[n].LogPX, r.IS[n].LogPX, p.LogPX, is.LogPX)
		}
		if (r.Prior[n].StdErr == nil) != math.IsInf(p.StdErr, 0) {
			t.Errorf("K=%d: standard error %v, want %v (null when infinite)", k, r.Prior[n].StdErr, p.StdErr)
		}
	}
	if r.ELBO.K != 300 || r.ELBO.LogPX == nil || *r.ELBO.LogPX > *r.IS[len(r.IS)-1].LogPX+1 {
		t.Errorf("ELBO %+v", r.ELBO)
	}
}

// TestLadder checks the values of K at which estimates are drawn.
func TestLadder(t *testing.T) {
	for _, tc := range []struct {
		k    int
		want []int
	}{
		{1, []int{1}},
		{2, []int{1, 2}},
		{7, []int{1, 2, 5, 7}},
		{10, []int{1, 2, 5, 10}},
		{1000, []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}},
		{20000, []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000}},
	} {
		if got := ladder(tc.k); !slices.Equal(got, tc.want) {
			t.Errorf("ladder(%d) = %v, want %v", tc.k, got, tc.want)
		}
	}
}

// TestNewErrors checks that inconsistent configurations are refused.
func TestNewErrors(t *testing.T) {
	v, a := untrained(t, 2)
	d := testData(t, 10)
	sq := figure.Shape{Rows: 28, Cols: 28}
	v6, err := amortized.NewVAE(amortized.VAEConfig{DataDim: 6, Latent: 2}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no vae", Config{Data: d, Shape: sq}, "no VAE"},
		{"no data", Config{VAE: v, Shape: sq}, "no test data"},
		{"shape", Config{VAE: v, Data: d, Shape: figure.Shape{Rows: 28, Cols: 27}}, "does not hold"},
		{"vae dim", Config{VAE: v6, Data: d, Shape: sq}, "the VAE models 6 values"},
		{"eval shape", Config{VAE: v, AE: a, Data: d, EvalData: d.Head(5), Shape: sq}, "differ in shape"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestJSONFloat checks that non-finite numbers are sent as null.
func TestJSONFloat(t *testing.T) {
	b, err := json.Marshal([]jsonFloat{1.5, jsonFloat(math.NaN()), jsonFloat(math.Inf(-1)), -2e-300})
	if err != nil || string(b) != "[1.5,null,null,-2e-300]" {
		t.Errorf("got %s, %v", b, err)
	}
}

// TestEstimateOneAtATime checks that a second estimate waits for the first:
// the semaphore is held while one runs.
func TestEstimateOneAtATime(t *testing.T) {
	s, _ := newTestServer(t, 2, false)
	s.est <- struct{}{} // an estimate "in flight"
	req := httptest.NewRequest(http.MethodGet, "/api/estimate?i=0&k=10", nil)
	req.Host = "127.0.0.1"
	ctx, cancel := context.WithCancel(req.Context())
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { s.ServeHTTP(rec, req.WithContext(ctx)); close(done) }()
	cancel() // the client gives up while waiting
	<-done
	if rec.Body.Len() != 0 {
		t.Errorf("a request that gave up while waiting got an answer: %s", rec.Body)
	}
	<-s.est
	code, body := get(t, s, "/api/estimate?i=0&k=10")
	if code != 200 {
		t.Errorf("after the first finished: status %d: %s", code, body)
	}
}

// TestExtent checks that the window drawn is square and holds every point
// and ±3 around the prior's centre.
func TestExtent(t *testing.T) {
	for _, tc := range []struct {
		u, v  []float64
		prior *[2]float64
	}{
		{[]float64{0, 1, 2}, []float64{5, 6, 7}, nil},
		{[]float64{10, 12}, []float64{-1, 1}, &[2]float64{0, 0}},
		{[]float64{0.1}, []float64{0.1}, &[2]float64{-7, 5}},
		{[]float64{4}, []float64{4}, nil}, // a single point
	} {
		e := extent(tc.u, tc.v, tc.prior)
		if math.Abs((e[1]-e[0])-(e[3]-e[2])) > 1e-12 || !(e[1] > e[0]) {
			t.Errorf("%v: window %v is not a square", tc, e)
		}
		in := func(u, v float64) bool { return e[0] < u && u < e[1] && e[2] < v && v < e[3] }
		for i := range tc.u {
			if !in(tc.u[i], tc.v[i]) {
				t.Errorf("%v: window %v misses point (%v, %v)", tc, e, tc.u[i], tc.v[i])
			}
		}
		if p := tc.prior; p != nil && !(in(p[0]-2.99, p[1]-2.99) && in(p[0]+2.99, p[1]+2.99)) {
			t.Errorf("%v: window %v misses ±3 around %v", tc, e, *p)
		}
	}
}
