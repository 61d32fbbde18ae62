package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/ppl"
	"github.com/vitool/vitool/safetensors"
)

// The test model "boom" panics in its Exact function, which the command
// line calls itself: a bug in user code outside ppl's runners (which turn a
// panic inside a model or guide into an error), and it must be reported as
// a crash, not as a usage error.
func init() {
	RegisterModel(Model{
		Name:        "boom",
		Description: "test model whose exact evidence panics",
		Model:       shiftModel,
		Guide:       shiftGuide,
		DataDim:     1,
		Data:        shiftData,
		Exact:       func(*ppl.ParamStore, []float64) float64 { panic("boom: a bug in Exact") },
	})
}

// snapshot returns the SHA-256 and mode of every file under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		out[p] = fmt.Sprintf("%x %v", sha256.Sum256(b), fi.Mode())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hostileFiles writes the crafted inputs of the hostile-input suite into
// dir and returns their paths by name.
func hostileFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	p := map[string]string{}
	write := func(name string, b []byte) {
		p[name] = filepath.Join(dir, name)
		if err := os.WriteFile(p[name], b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lg := func(w, noise string) []byte {
		return []byte(`{"family":"linear-gaussian","W":[[` + w + `],[` + w + `]],"b":[0,0],"noise_std":` + noise + `}`)
	}
	write("noise-huge.json", lg("1", "1e200"))
	write("noise-tiny.json", lg("1", "1e-300"))
	write("w-huge.json", lg("1e308", "1"))
	write("points.csv", []byte("x,y\n0.5,1\n1,2\n"))
	// A 784-dimensional linear-Gaussian model for image data.
	var spec strings.Builder
	spec.WriteString(`{"family":"linear-gaussian","W":[`)
	for i := range 784 {
		if i > 0 {
			spec.WriteString(",")
		}
		spec.WriteString("[0.1]")
	}
	spec.WriteString(`],"b":[` + strings.Repeat("0.5,", 783) + `0.5],"noise_std":0.5}`)
	write("image-model.json", []byte(spec.String()))
	// A checkpoint of a few hundred bytes whose metadata describes a model
	// of 10¹¹ parameters.
	var ck bytes.Buffer
	if err := safetensors.Encode(&ck, &safetensors.File{
		Metadata: map[string]string{"model": "vae", "data_dim": "784", "latent": "50", "hidden": "100000000",
			"activation": "tanh", "likelihood": "bernoulli"},
		Tensors: map[string]safetensors.Tensor{"encoder.0.weight": safetensors.FromFloat32([]int{1, 1}, []float32{0})},
	}); err != nil {
		t.Fatal(err)
	}
	write("huge-meta.safetensors", ck.Bytes())
	// A VAE checkpoint with a NaN weight, and a valid one.
	v, err := amortized.NewVAE(amortized.VAEConfig{DataDim: 1, Latent: 1, Hidden: []int{2}}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	p["vae.safetensors"] = filepath.Join(dir, "vae.safetensors")
	if err := checkpoint.SaveVAE(p["vae.safetensors"], v); err != nil {
		t.Fatal(err)
	}
	v.Store.Unconstrained("decoder.0.weight").RawMatrix().Data[1] = math.Inf(1)
	p["nan.safetensors"] = filepath.Join(dir, "nan.safetensors")
	if err := checkpoint.SaveVAE(p["nan.safetensors"], v); err != nil {
		t.Fatal(err)
	}
	// 20000 all-zero 28×28 images: 16 MB of pixels in a gzip file of tens
	// of kilobytes.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	hdr := make([]byte, 16)
	binary.BigEndian.PutUint32(hdr, 0x803)
	binary.BigEndian.PutUint32(hdr[4:], 20000)
	binary.BigEndian.PutUint32(hdr[8:], 28)
	binary.BigEndian.PutUint32(hdr[12:], 28)
	zw.Write(hdr)
	zw.Write(make([]byte, 20000*784))
	zw.Close()
	write("bomb-images-idx3-ubyte.gz", gz.Bytes())
	// Binarised images stored as uint8 0/1 in an NPY file.
	npy := []byte("\x93NUMPY\x01\x00")
	dict := "{'descr': '|u1', 'fortran_order': False, 'shape': (12, 1), }"
	dict += strings.Repeat(" ", 128-10-len(dict)-1) + "\n"
	npy = binary.LittleEndian.AppendUint16(npy, uint16(len(dict)))
	npy = append(npy, dict...)
	npy = append(npy, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1)
	write("binary.npy", npy)
	return p
}

// TestHostileInputs runs every command on crafted hostile inputs, one
// class of the issue at a time, and checks the exit status, that the
// message names the flag or file responsible, that memory stays bounded and
// that no existing file changed.
func TestHostileInputs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.Mkdir(in, 0o755); err != nil {
		t.Fatal(err)
	}
	p := hostileFiles(t, in)
	out := filepath.Join(dir, "out")
	cases := []struct {
		class, name string
		env         string // VITOOL_MAX_MEMORY
		args        []string
		code        int
		want        []string // substrings of stderr
		maxAlloc    uint64   // bytes allocated in all; 0: not checked
	}{
		// 1: sizes are checked before they are used.
		{"sizes", "train hidden", "", []string{"train-vae", "--hidden", "100000000", "--out", out + "/r1"}, ExitUsage, []string{"--hidden 100000000", EnvMaxMemory}, 200 << 20},
		{"sizes", "train latent", "", []string{"train-vae", "--latent", "2000000000", "--out", out + "/r2"}, ExitUsage, []string{"--latent 2000000000"}, 200 << 20},
		{"sizes", "estimate k", "", []string{"estimate-px", "--k", "9223372036854775807"}, ExitUsage, []string{"--k"}, 10 << 20},
		{"sizes", "estimate reps", "", []string{"estimate-px", "--method", "iwae", "--k", "1000", "--reps", "1000000000000000"}, ExitUsage, []string{"--reps"}, 10 << 20},
		{"sizes", "bench data dim", "", []string{"bench-px", "--data-dim", "1000000000", "--dims", "2"}, ExitUsage, []string{"--data-dim 1000000000"}, 10 << 20},
		{"sizes", "fit k", "", []string{"fit", "--model", "shift", "--k", "1000000000", "--out", out + "/f.safetensors"}, ExitUsage, []string{"--k 1000000000"}, 50 << 20},
		{"sizes", "checkpoint metadata", "", []string{"sample", "--model", p["huge-meta.safetensors"], "--out", out + "/s.png"}, ExitUsage, []string{p["huge-meta.safetensors"], "missing tensor"}, 10 << 20},
		{"sizes", "gzip bomb, 3 points used", "", []string{"estimate-px", "--model", p["image-model.json"], "--data", p["bomb-images-idx3-ubyte.gz"], "--n", "3", "--k", "10", "--method", "prior"}, ExitOK, nil, 40 << 20},
		{"sizes", "data over the budget", "2MB", []string{"estimate-px", "--model", p["image-model.json"], "--data", p["bomb-images-idx3-ubyte.gz"], "--k", "10"}, ExitUsage, []string{p["bomb-images-idx3-ubyte.gz"], EnvMaxMemory}, 20 << 20},
		{"sizes", "bad budget", "lots", []string{"estimate-px", "--k", "10"}, ExitUsage, []string{EnvMaxMemory}, 0},
		// 2: extreme values are refused at load time, naming file and field.
		{"values", "noise huge", "", []string{"estimate-px", "--model", p["noise-huge.json"]}, ExitUsage, []string{p["noise-huge.json"], "noise_std"}, 0},
		{"values", "noise tiny", "", []string{"estimate-px", "--model", p["noise-tiny.json"]}, ExitUsage, []string{p["noise-tiny.json"], "noise_std"}, 0},
		{"values", "W huge", "", []string{"estimate-px", "--model", p["w-huge.json"]}, ExitUsage, []string{p["w-huge.json"], "entries of W are too large"}, 0},
		{"values", "NaN weights", "", []string{"estimate-px", "--model", p["nan.safetensors"], "--data", p["points.csv"]}, ExitUsage, []string{p["nan.safetensors"], `tensor "decoder.0.weight"`}, 0},
		// 4: outputs are checked before the work.
		{"outputs", "plot in a file", "", []string{"estimate-px", "--k", "10", "--plot", p["points.csv"] + "/p.png"}, ExitUsage, []string{"--plot"}, 0},
		{"outputs", "fit out is data", "", []string{"fit", "--model", "shift", "--data", p["points.csv"], "--out", p["points.csv"], "--force", "--steps", "2"}, ExitUsage, []string{"--out", "input"}, 0},
		// 6: no silent wrong answers.
		{"answers", "fit params of a VAE", "", []string{"fit", "--model", "shift", "--params", p["vae.safetensors"], "--steps", "2", "--out", out + "/f2.safetensors"}, ExitUsage, []string{p["vae.safetensors"], "not a parameter file of model \"shift\""}, 0},
		{"answers", "estimate params of a VAE", "", []string{"estimate-px", "--model", "shift", "--params", p["vae.safetensors"]}, ExitUsage, []string{p["vae.safetensors"], "encoder.0.weight"}, 0},
		{"answers", "--n beyond the data", "", []string{"estimate-px", "--model", "shift", "--n", "1000", "--k", "10"}, ExitOK, []string{"--n 1000", "only 40 points"}, 0},
		// 7: exit statuses.
		{"status", "extra argument", "", []string{"estimate-px", "extra"}, ExitUsage, []string{"extra"}, 0},
		{"status", "crash", "", []string{"estimate-px", "--model", "boom", "--k", "10"}, ExitCrash, []string{"internal error", "boom: a bug in Exact", "please report it"}, 0},
	}
	before := snapshot(t, in)
	for _, c := range cases {
		t.Run(c.class+"/"+c.name, func(t *testing.T) {
			t.Setenv(EnvMaxMemory, c.env)
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			_, e, code := run(t, append(c.args, "--log-level", "warn")...)
			runtime.ReadMemStats(&m1)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.code, e)
			}
			for _, w := range c.want {
				if !strings.Contains(e, w) {
					t.Errorf("stderr lacks %q:\n%s", w, e)
				}
			}
			if c.code != ExitOK && strings.Count(strings.TrimSpace(e), "\n") > 0 && c.code == ExitUsage {
				t.Errorf("a usage error takes one line, got:\n%s", e)
			}
			if alloc := m1.TotalAlloc - m0.TotalAlloc; c.maxAlloc > 0 && alloc > c.maxAlloc {
				t.Errorf("allocated %d MB, want at most %d MB", alloc>>20, c.maxAlloc>>20)
			}
		})
	}
	if after := snapshot(t, in); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("input files changed:\nbefore %v\nafter  %v", before, after)
	}
}

// TestHostileBinaryNPY checks that uint8 0/1 data are read as binary, not
// scaled by 1/255, so that --binarize auto leaves them alone.
func TestHostileBinaryNPY(t *testing.T) {
	p := hostileFiles(t, t.TempDir())
	o, e, code := run(t, "estimate-px", "--model", p["vae.safetensors"], "--data", p["binary.npy"], "--k", "10", "--method", "prior", "--json", "--log-level", "error")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, e)
	}
	if strings.Contains(o, "binarised") {
		t.Errorf("0/1 data were binarised again:\n%s", o)
	}
}

// TestHostileInterrupt cancels estimate-px in the middle of a long row and
// checks that it stops promptly, prints the rows it finished and exits with
// ExitInterrupted.
func TestHostileInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	start := time.Now()
	o, e, code := runCtx(ctx, "estimate-px", "--k", "10,1e12", "--method", "prior", "--log-level", "warn")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to stop", d)
	}
	if code != ExitInterrupted || !strings.Contains(o, "prior") || !strings.Contains(e, "interrupted") {
		t.Fatalf("exit %d, want %d with the finished row; stdout:\n%s\nstderr:\n%s", code, ExitInterrupted, o, e)
	}
}

// TestPlotFolderCreated checks that --plot into a missing folder creates it
// before the work, and writes the plot.
func TestPlotFolderCreated(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "missing", "dir", "p.png")
	if _, e, code := run(t, "estimate-px", "--k", "1,10", "--plot", plot, "--log-level", "error"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, e)
	}
	if _, err := os.Stat(plot); err != nil {
		t.Error(err)
	}
}
