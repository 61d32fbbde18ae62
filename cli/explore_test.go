package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vitool/vitool/dataset"
)

// syncBuffer is a bytes.Buffer safe for a writer and a concurrent reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestExploreBadFlags checks that bad flags and inputs give exit status 2
// and one message naming the flag, before anything is trained or served.
func TestExploreBadFlags(t *testing.T) {
	g := newGenModels(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "0.0.0.0:0"}, `--addr: "0.0.0.0:0": the host must be a loopback address`},
		{[]string{"--addr", ":8080"}, "the host must be a loopback address"},
		{[]string{"--addr", "192.168.1.5:8080"}, "the host must be a loopback address"},
		{[]string{"--addr", "localhost"}, `--addr: "localhost": want HOST:PORT`},
		{[]string{"--addr", "127.0.0.1:99999"}, "not a number from 0 to 65535"},
		{[]string{"--n", "0"}, "--n: 0 is not an integer from 1 to 10000"},
		{[]string{"--n", "10001"}, "--n: 10001"},
		{[]string{"--open=maybe"}, "invalid argument"},
		{[]string{"here"}, "takes no arguments"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--data", filepath.Join(t.TempDir(), "none.csv")}, "--data:"},
		{[]string{"--model", filepath.Join(t.TempDir(), "none")}, "--model: "},
		{[]string{"--model", g.path("ae")}, "is an autoencoder (want a VAE"},
		{[]string{"--model", g.path("vae"), "--ae", g.path("vae")}, "--ae: " + g.path("vae") + " is a VAE"},
		{[]string{"--model", g.path("vae"), "--ae", filepath.Join(t.TempDir(), "none")}, "--ae: "},
		{[]string{"--model", g.path("vae6")}, "has 784 values per point, but the VAE models 6"},
	} {
		args := append([]string{"explore", "--open=false"}, tc.args...)
		out, errOut, code := run(t, args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and a message containing %q", tc.args, code, errOut, tc.want)
		}
		if strings.Contains(out, "serving") || strings.Contains(errOut, "training") {
			t.Errorf("%v: served or trained before refusing the flags:\n%s%s", tc.args, out, errOut)
		}
		if n := strings.Count(strings.TrimSpace(errOut), "\n"); n > 0 {
			t.Errorf("%v: %d lines on stderr, want one message:\n%s", tc.args, n+1, errOut)
		}
	}
}

var serveURL = regexp.MustCompile(`serving (http://127\.0\.0\.1:[0-9]+/)`)

// startExplore runs vitool explore with args until the test ends or stop
// is called, and returns the page's address once it is printed.
func startExplore(t *testing.T, wait time.Duration, args ...string) (url string, stop func() (code int, stderr string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, append([]string{"explore"}, args...), &out, &errb) }()
	stop = func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, errb.String()
		case <-time.After(10 * time.Second):
			t.Fatal("explore did not stop within 10 s of the cancellation")
		}
		return 0, ""
	}
	t.Cleanup(func() { cancel() })
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if m := serveURL.FindStringSubmatch(out.String()); m != nil {
			return m[1], stop
		}
		select {
		case code := <-done:
			t.Fatalf("explore exited with %d before serving:\n%s%s", code, out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("explore printed no address within %v:\n%s%s", wait, out.String(), errb.String())
	return "", nil
}

// exploreInfo is what the tests read of /api/info.
type exploreInfo struct {
	Models []struct {
		Name, Desc, Plane string
		Latent            int
	}
	NoAE   string `json:"no_ae"`
	N      int
	Labels bool
	Data   string
}

func fetchInfo(t *testing.T, url string) exploreInfo {
	t.Helper()
	resp, err := http.Get(url + "api/info")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info exploreInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	return info
}

// TestExploreServes serves saved models, reads the page's description of
// them, checks that the browser is opened (or not) with the address, and
// that cancelling (as Ctrl-C does) stops the server with exit status 0.
func TestExploreServes(t *testing.T) {
	g := newGenModels(t)
	for _, open := range []bool{true, false} {
		var opened []string
		saved := openBrowser
		openBrowser = func(url string) error { opened = append(opened, url); return nil }
		args := []string{"--model", g.path("vae"), "--ae", g.path("ae"), "--n", "50", "--log-level", "info"}
		if !open {
			args = append(args, "--open=false")
		}
		url, stop := startExplore(t, 30*time.Second, args...)
		info := fetchInfo(t, url)
		if len(info.Models) != 2 || info.Models[0].Name != "vae" || info.Models[1].Name != "ae" || info.N != 50 || !info.Labels {
			t.Errorf("info %+v: want the VAE and the AE and 50 labelled digits", info)
		}
		if !strings.Contains(info.Models[0].Plane, "first two principal components") || !strings.Contains(info.Models[0].Desc, g.path("vae")) {
			t.Errorf("VAE (latent 3) described as %q, %q", info.Models[0].Desc, info.Models[0].Plane)
		}
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", url, resp.StatusCode)
		}
		code, stderr := stop()
		openBrowser = saved
		if code != ExitOK || !strings.Contains(stderr, "stopped") {
			t.Errorf("after cancelling: exit %d, stderr:\n%s", code, stderr)
		}
		if open != (len(opened) == 1) || (open && opened[0] != url) {
			t.Errorf("--open=%v: the browser was opened with %v (the address is %s)", open, opened, url)
		}
		if _, err := http.Get(url + "api/info"); err == nil {
			t.Errorf("the server still answers after stopping")
		}
	}
}

// TestExploreRunData checks that the digits shown are, by default, those of
// the data the --model run was trained on (recorded in its training state),
// and that without --ae the page says how to get an autoencoder.
func TestExploreRunData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if _, errOut, code := run(t, "train-vae", "--data", "embedded:binarized-mnist", "--train-n", "100", "--test-n", "10",
		"--epochs", "1", "--hidden", "8", "--latent", "2", "--out", dir, "--log-level", "error", "--progress", "never"); code != ExitOK {
		t.Fatalf("train-vae: exit %d:\n%s", code, errOut)
	}
	url, stop := startExplore(t, 30*time.Second, "--model", dir, "--open=false", "--log-level", "error")
	info := fetchInfo(t, url)
	if code, stderr := stop(); code != ExitOK {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	sp, err := dataset.Embedded("binarized-mnist")
	if err != nil {
		t.Fatal(err)
	}
	if want := min(500, sp.Test.N); !strings.Contains(info.Data, "binarized") || info.Labels || info.N != want {
		t.Errorf("data %q (labels %v, n %d): want the first %d unlabelled test digits of embedded:binarized-mnist", info.Data, info.Labels, info.N, want)
	}
	if len(info.Models) != 1 || !strings.Contains(info.NoAE, "train-ae") {
		t.Errorf("without --ae: %d models, note %q", len(info.Models), info.NoAE)
	}
}

// TestExploreDefault runs explore with no model: it trains the small 2-D
// VAE and autoencoder on the embedded MNIST subset, then serves them. It
// takes seconds to a minute, so it is skipped under -short.
func TestExploreDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models on the embedded MNIST subset (seconds to a minute); run without -short")
	}
	start := time.Now()
	url, stop := startExplore(t, 5*time.Minute, "--open=false", "--log-level", "error")
	t.Logf("trained and serving after %.1f s", time.Since(start).Seconds())
	info := fetchInfo(t, url)
	if code, stderr := stop(); code != ExitOK {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	want := min(500, mnistTest(t).N)
	if len(info.Models) != 2 || info.Models[0].Latent != 2 || info.Models[1].Latent != 2 || !strings.Contains(info.Models[0].Desc, "trained now") || info.N != want || !info.Labels {
		t.Errorf("info %+v: want a 2-D VAE and AE trained now, and %d labelled digits", info, want)
	}
}
