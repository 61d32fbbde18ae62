package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/vitool/vitool/amortized"
	"github.com/vitool/vitool/checkpoint"
	"github.com/vitool/vitool/dataset"
	"github.com/vitool/vitool/internal/explore"
)

// exploreFlags are the flags of the explore command.
type exploreFlags struct {
	model, ae string
	data      string
	n         int
	addr      string
	open      bool
	seed      uint64
}

// maxExplorePoints bounds --n: the test digits drawn on the planes.
const maxExplorePoints = 10000

// exploreTrainPoints is how many training digits the models that explore
// trains itself see.
const exploreTrainPoints = 2000

func newExploreCommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	f := &exploreFlags{}
	cmd := &cobra.Command{
		Use:   "explore",
		Short: "Explore a trained VAE and autoencoder in the browser (a local web page)",
		Long: `explore serves a web page on this machine that shows what a VAE learned,
beside a plain autoencoder: the latent plane with the encoded test digits
coloured by label (click or drag anywhere to decode that point), the
interpolation between two digits, samples decoded from z ~ N(0, I), and the
naive Monte Carlo and importance-sampling estimates of log p(x) of a digit
against the number of samples K. Everything the page needs is inside the
vitool binary: it loads nothing from the network.

Models: --model names a VAE run folder written by train-vae (or its model
file), --ae an autoencoder run written by train-ae. Without --model, explore
first trains a small VAE and autoencoder with two latent dimensions on the
first 2000 training digits of --data (default: the embedded MNIST subset),
which takes seconds. A latent space of more than two dimensions is shown
through a plane: the plane through the mean of the encoded test digits spanned
by their first two principal components, as the page states.

Data: the digits shown are the first --n test points of --data (a data folder,
a file or embedded:NAME, as for train-vae), by default those of the data the
--model run was trained on, or the embedded MNIST test images. For a Bernoulli
VAE, log p(x) is estimated on the digits binarised once with the fixed seed
that train-vae and estimate-px use.

Serving: the page is served at --addr, which must be a loopback address (the
page is for this machine only; port 0 picks a free port), and its address is
printed on stdout. --open=false does not open a browser. Ctrl-C or SIGTERM
stops the server cleanly (exit status 0). Bad flags or input files give exit
status 2.`,
		Example: `  vitool explore
  vitool explore --model run --ae run-ae --open=false
  vitool explore --model run --addr 127.0.0.1:8080`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExplore(cmd.Context(), g, f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "VAE run folder or model file written by train-vae (default: train a small 2-D VAE and autoencoder first)")
	fl.StringVar(&f.ae, "ae", "", "autoencoder run folder or model file written by train-ae, shown beside the VAE")
	fl.StringVar(&f.data, "data", "", "test data: a folder, a file or embedded:NAME (default: the data the --model run was trained on, or the embedded MNIST subset)")
	fl.IntVar(&f.n, "n", 500, "number of test digits to show (1 to 10000)")
	fl.StringVar(&f.addr, "addr", "127.0.0.1:0", "loopback address HOST:PORT to serve on (port 0: a free port)")
	fl.BoolVar(&f.open, "open", true, "open the page in the default browser")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed of the training (without --model) and of the estimates")
	return cmd
}

// checkLoopback returns a usage error unless addr is HOST:PORT with a
// loopback HOST (localhost, 127.x.x.x or ::1).
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--addr: %q: want HOST:PORT, such as 127.0.0.1:8080 (%v)", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return usagef("--addr: %q: the port %q is not a number from 0 to 65535", addr, port)
	}
	ip := net.ParseIP(host)
	if !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
		return usagef("--addr: %q: the host must be a loopback address (localhost, 127.0.0.1 or ::1); explore serves this machine only", addr)
	}
	return nil
}

func runExplore(ctx context.Context, g *globalFlags, f *exploreFlags, stdout, stderr io.Writer) error {
	log, err := g.logger(stderr)
	if err != nil {
		return err
	}
	if f.n < 1 || f.n > maxExplorePoints {
		return usagef("--n: %d is not an integer from 1 to %d", f.n, maxExplorePoints)
	}
	if err := checkLoopback(f.addr); err != nil {
		return err
	}
	cfg := explore.Config{Seed: f.seed}
	var trainedOn string // the data of the --model run
	if f.model != "" {
		m, path, err := loadGenModel(f.model)
		if err != nil {
			return err
		}
		vae, ok := m.(*amortized.VAE)
		if !ok {
			return usagef("--model: %s is an autoencoder (want a VAE written by train-vae; give the autoencoder to --ae)", path)
		}
		cfg.VAE = vae
		cfg.VAEName = fmt.Sprintf("%s (latent %d, hidden %s, %s likelihood)", path, vae.Config.Latent, vae.Config.Metadata()[amortized.MetaHidden], vae.Config.Likelihood)
		if trainedOn, err = runData(path); err != nil {
			return err
		}
	}
	if f.ae != "" {
		m, path, err := loadGenModel(f.ae)
		if err != nil {
			return usagef("--ae: %s", strings.TrimPrefix(err.Error(), "--model: "))
		}
		ae, ok := m.(*amortized.AE)
		if !ok {
			return usagef("--ae: %s is a VAE (want an autoencoder written by train-ae; give the VAE to --model)", path)
		}
		cfg.AE = ae
		cfg.AEName = fmt.Sprintf("%s (code %d, hidden %s, %s loss)", path, ae.Config.Code, ae.Config.Metadata()[amortized.MetaHidden], ae.Config.Loss)
	}

	spec, flag := f.data, "--data"
	if spec == "" && trainedOn != "" {
		spec, flag = trainedOn, "--model"
	}
	sp, err := openData(flag, spec, 0)
	if err != nil {
		return err
	}
	test := sp.Test
	if test == nil {
		test = sp.Train // a single file
	}
	if test == nil || test.N == 0 {
		return usagef("%s: %s holds no data points", flag, nameOr(spec, "the embedded MNIST subset"))
	}
	test = test.Head(f.n)
	shape, ok := imageShape(test)
	if !ok {
		return usagef("%s: %s has %d values per point, which is no image shape explore can show (want ROWS·COLS values with the shape stored, or a square number)", flag, test.Name, test.D)
	}

	if cfg.VAE == nil {
		if sp.Train == nil || sp.Train.N == 0 {
			return usagef("%s: %s has no training split to train a model on (give --model)", flag, nameOr(spec, "the data"))
		}
		if err := checkValues(flag, sp.Train, "training the default Bernoulli VAE"); err != nil {
			return err
		}
		train := sp.Train.Head(exploreTrainPoints)
		opt := explore.DefaultTrain
		opt.Seed, opt.SkipAE = f.seed, cfg.AE != nil
		what := "VAE and autoencoder"
		if opt.SkipAE {
			what = "VAE"
		}
		log.Info().Int("digits", train.N).Int("epochs", opt.Epochs).Ints("hidden", opt.Hidden).
			Msgf("no --model: training a %d-D %s on %s", opt.Latent, what, train.Name)
		start := time.Now()
		vae, ae, err := explore.Train(ctx, train, opt)
		if err != nil {
			if ctx.Err() != nil {
				log.Info().Msg("interrupted while training; nothing served")
				return nil
			}
			return fmt.Errorf("training the default models: %w", err)
		}
		log.Info().Float64("seconds", time.Since(start).Seconds()).Msg("trained")
		hidden := amortized.VAEConfig{Hidden: opt.Hidden}.Metadata()[amortized.MetaHidden]
		cfg.VAE = vae
		cfg.VAEName = fmt.Sprintf("trained now: latent %d, hidden %s, %d epochs on %d digits of %s (seed %d)", opt.Latent, hidden, opt.Epochs, train.N, train.Name, f.seed)
		if ae != nil {
			cfg.AE = ae
			cfg.AEName = fmt.Sprintf("trained now: code %d, hidden %s, bce loss, %d epochs on the same digits", opt.Latent, hidden, opt.Epochs)
		}
	}
	if cfg.VAE.DataDim() != test.D {
		return usagef("%s: %s has %d values per point, but the VAE models %d", flag, test.Name, test.D, cfg.VAE.DataDim())
	}
	if cfg.AE != nil && cfg.AE.Config.DataDim != test.D {
		return usagef("--ae: the autoencoder models %d values per point, but the data %s have %d", cfg.AE.Config.DataDim, test.Name, test.D)
	}
	cfg.Data, cfg.Shape, cfg.DataName = test, shape, test.Name
	if cfg.VAE.Config.Likelihood == amortized.Bernoulli {
		if err := checkValues(flag, test, "the Bernoulli likelihood"); err != nil {
			return err
		}
		if !test.Binary {
			cfg.EvalData = test.Binarize(rand.New(rand.NewPCG(testBinarizeSeed, 0)))
		}
	}
	if cfg.AE == nil {
		cfg.NoAE = "No autoencoder loaded. Train one with the same data, for instance “vitool train-ae --code 2 --out run-ae”, and pass --ae run-ae to compare its code space with the VAE's."
	}
	if v, err := amortized.EvaluateVAE(cfg.VAE, evalData(cfg), evalSeed); err == nil {
		cfg.VAEName += fmt.Sprintf("; ELBO %.2f nats per digit on the %d shown", v, test.N)
	}
	srv, err := explore.New(cfg)
	if err != nil {
		return err
	}
	return serveExplore(ctx, log, srv, f, stdout)
}

// evalData returns the data that log p(x) is evaluated on.
func evalData(cfg explore.Config) *dataset.Dataset {
	if cfg.EvalData != nil {
		return cfg.EvalData
	}
	return cfg.Data
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// runData returns the training data recorded in the run folder of the model
// file path ("" for the embedded default, or when nothing is recorded): its
// --test-data if set, else its --data.
func runData(path string) (string, error) {
	state := filepath.Join(filepath.Dir(path), checkpoint.StateFile)
	if _, err := os.Stat(state); err != nil {
		return "", nil
	}
	st, err := checkpoint.LoadTrainState(state)
	if err != nil {
		return "", usagef("--model: %v", err)
	}
	if t := st.Extra[extraTestData]; t != "" {
		return t, nil
	}
	return st.Extra[extraData], nil
}

// openBrowser opens url in the default browser, without waiting for it.
// Tests replace it.
var openBrowser = func(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it
	return nil
}

// serveExplore serves srv at f.addr until ctx is done, then shuts down
// gracefully.
func serveExplore(ctx context.Context, log zerolog.Logger, srv http.Handler, f *exploreFlags, stdout io.Writer) error {
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return usagef("--addr: %v", err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(stdout, "vitool explore: serving %s (Ctrl-C to stop)\n", url)
	if f.open {
		if err := openBrowser(url); err != nil {
			log.Info().Err(err).Msg("could not open a browser: open the address above yourself")
		}
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info().Msg("stopped")
	return nil
}
