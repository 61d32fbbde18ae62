package cli

import (
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is a progress bar on stderr, or nothing when bars are off. Its
// methods are safe to call on a disabled bar and from several goroutines.
type progress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

// newProgress returns a bar counting samples to total, drawn on w when show
// is true. A negative total draws a spinner that counts without a total.
func newProgress(show bool, total int64, desc string, w io.Writer) *progress {
	return newProgressOf(show, total, desc, "samples", w)
}

// newProgressOf is newProgress counting units other than samples.
func newProgressOf(show bool, total int64, desc, units string, w io.Writer) *progress {
	if !show || total == 0 {
		return &progress{}
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(units),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
	return &progress{bar: bar}
}

// add advances the bar by n.
func (p *progress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Add64(int64(n))
	}
}

// describe replaces the bar's description.
func (p *progress) describe(desc string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Describe(desc)
	}
}

// Finish completes and clears the bar. It may be called more than once.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}
