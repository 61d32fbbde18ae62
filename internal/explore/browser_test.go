package explore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/figure"
)

// chromiumPath returns the browser that the browser test drives: $VITOOL_CHROMIUM,
// or the first of chromium, chromium-browser, google-chrome and
// headless-shell on PATH; "" if there is none.
func chromiumPath() string {
	if p := os.Getenv("VITOOL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser loads the page in a real headless Chromium, driven through the
// DevTools protocol (chromedp), against a server with small models trained
// for the test, and checks what a person would see:
//
//   - the page loads and its script runs to the end without an exception or
//     an error message on the page;
//   - a screenshot of each plane is not blank and shows the scatter colours
//     of at least 8 of the 10 digit labels;
//   - a click on the VAE plane decodes the clicked point: the position
//     reported moves with the click (right → larger u, down → smaller v),
//     the image on screen is the server's decoding of that position pixel for
//     pixel, and two clicks give clearly different images;
//   - the log p(x) plot is drawn in the colours of its two estimators.
//
// It skips, saying why, when no Chromium is installed.
func TestBrowser(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("no Chromium found: install Debian's chromium (apt-get install chromium; .ci/run does it) or set VITOOL_CHROMIUM to a Chrome or Chromium binary")
	}
	start := time.Now()
	sp, err := dataset.Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	vae, ae, err := Train(context.Background(), sp.Train.Head(300), TrainOptions{Latent: 2, Hidden: []int{32}, Epochs: 3, LR: 1e-2, Batch: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	data := sp.Test.Head(200)
	srv, err := New(Config{VAE: vae, AE: ae, Data: data, Shape: figure.Shape{Rows: 28, Cols: 28}, Seed: 1,
		VAEName: "browser-test VAE", AEName: "browser-test AE", DataName: "mnist test", Limits: Limits{MaxK: 100}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	t.Logf("models trained and server up in %.1f s", time.Since(start).Seconds())

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1200, 1400),
		chromedp.Flag("disable-gpu", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	// Collect exceptions and console errors from the start.
	var mu sync.Mutex
	var problems []string
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()

	step := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, c := context.WithTimeout(ctx, 30*time.Second)
		defer c()
		if _, err := chromedp.Run(sctx, a); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(expr string, v any) {
		t.Helper()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("evaluate %s: %v (%s)", expr, err, raw)
		}
	}
	shot := func(sel string) *image.RGBA {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("screenshot of %s: %v", sel, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		rgba := image.NewRGBA(img.Bounds())
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				rgba.Set(x, y, img.At(x, y))
			}
		}
		return rgba
	}

	step("load the page", chromedp.Navigate(ts.URL))
	_, err = chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.body.dataset.ready === "1"`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		var msg string
		eval(`document.querySelector("#error").textContent`, &msg)
		t.Fatalf("the page did not finish loading: %v (error shown: %q)", err, msg)
	}
	var shownError string
	eval(`document.querySelector("#error").hidden ? "" : document.querySelector("#error").textContent`, &shownError)
	if shownError != "" {
		t.Errorf("the page shows an error: %s", shownError)
	}

	// The planes: not blank, and the scatter colours of the labels present.
	for _, panel := range []string{"#panel-vae", "#panel-ae"} {
		img := shot(panel + " canvas.plane")
		if f := nonWhite(img); f < 0.02 {
			t.Errorf("%s: only %.1f%% of the plane is not white: blank?", panel, 100*f)
		}
		if n := coloursPresent(img, figure.Palette, 5); n < 8 {
			t.Errorf("%s: the colours of only %d of the 10 labels are on the plane (want at least 8)", panel, n)
		}
	}

	// Clicks on the VAE plane decode the clicked point.
	var rect []float64
	eval(`(() => { const r = document.querySelector("#panel-vae canvas.plane").getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`, &rect)
	type decoded struct {
		z   [2]float64
		img []uint8 // the 28×28 grey levels on screen
	}
	click := func(fx, fy float64) decoded {
		t.Helper()
		var before int
		eval(`+(document.querySelector("#panel-vae canvas.decoded").dataset.decodes || 0)`, &before)
		step("click", chromedp.MouseClickXY(rect[0]+fx*rect[2], rect[1]+fy*rect[3]))
		poll := fmt.Sprintf(`+document.querySelector("#panel-vae canvas.decoded").dataset.decodes > %d && state.pending === 0`, before)
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](poll, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("no image decoded after the click at (%.2f, %.2f) of the plane: %v", fx, fy, err)
		}
		var zs string
		eval(`document.querySelector("#panel-vae canvas.decoded").dataset.z`, &zs)
		var d decoded
		if _, err := fmt.Sscanf(strings.Replace(zs, ",", " ", 1), "%g %g", &d.z[0], &d.z[1]); err != nil {
			t.Fatalf("decoded position %q: %v", zs, err)
		}
		screen := shot("#panel-vae canvas.decoded")
		d.img = cellGreys(screen, 28, 28)
		// The server's image of that position, as the page asked for it.
		resp, err := http.Get(ts.URL + "/api/decode?model=vae&z=" + zs)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct{ Image []byte }
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		for i := range d.img {
			if diff := int(d.img[i]) - int(r.Image[i]); diff < -3 || diff > 3 {
				t.Fatalf("click at (%.2f, %.2f): pixel %d on screen is %d, the decoding of z = %s has %d", fx, fy, i, d.img[i], zs, r.Image[i])
			}
		}
		return d
	}
	a := click(0.3, 0.3)
	b := click(0.75, 0.7)
	if !(b.z[0] > a.z[0] && b.z[1] < a.z[1]) {
		t.Errorf("clicks up-left then down-right decoded z = %v then %v: want u to grow and v to fall", a.z, b.z)
	}
	if d := meanAbsDiff(a.img, b.img); d < 5 {
		t.Errorf("the images decoded at %v and %v differ by %.2f grey levels per pixel on average: want clearly different images (≥ 5)", a.z, b.z, d)
	}
	for _, d := range []decoded{a, b} {
		if lo, hi := minMax(d.img); hi-lo < 100 {
			t.Errorf("the image decoded at %v spans grey levels %d to %d: a blank image?", d.z, lo, hi)
		}
	}

	// The log p(x) plot.
	est := shot("#est-plot")
	if n := coloursPresent(est, figure.Palette[:2], 20); n != 2 {
		t.Errorf("the log p(x) plot shows %d of the colours of its two estimators", n)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser console: %s", p)
	}
	t.Logf("browser test took %.1f s", time.Since(start).Seconds())
}

// nonWhite returns the fraction of pixels of img that are not white.
func nonWhite(img *image.RGBA) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if c.R < 240 || c.G < 240 || c.B < 240 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// coloursPresent returns how many colours of pal appear in img on at least
// minPixels pixels (each channel within 12 levels).
func coloursPresent(img *image.RGBA, pal []color.RGBA, minPixels int) int {
	counts := make([]int, len(pal))
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.RGBAAt(x, y)
			for i, p := range pal {
				if near(c.R, p.R) && near(c.G, p.G) && near(c.B, p.B) {
					counts[i]++
				}
			}
		}
	}
	n := 0
	for _, c := range counts {
		if c >= minPixels {
			n++
		}
	}
	return n
}

func near(a, b uint8) bool { return math.Abs(float64(a)-float64(b)) <= 12 }

// cellGreys samples img, an image of rows×cols cells drawn scaled up, at the
// centre of each cell and returns the grey (red) levels.
func cellGreys(img *image.RGBA, rows, cols int) []uint8 {
	b := img.Bounds()
	out := make([]uint8, rows*cols)
	for r := range rows {
		for c := range cols {
			x := b.Min.X + int((float64(c)+0.5)*float64(b.Dx())/float64(cols))
			y := b.Min.Y + int((float64(r)+0.5)*float64(b.Dy())/float64(rows))
			out[r*cols+c] = img.RGBAAt(x, y).R
		}
	}
	return out
}

func meanAbsDiff(a, b []uint8) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i]) - float64(b[i]))
	}
	return s / float64(len(a))
}

func minMax(v []uint8) (lo, hi uint8) {
	lo, hi = 255, 0
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}
