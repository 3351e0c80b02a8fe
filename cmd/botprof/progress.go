package main

import (
	"io"
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress renders load bytes and finished points on stderr when it is a
// terminal; one bar at a time, updated from any goroutine.
type progress struct {
	w      io.Writer
	mu     sync.Mutex
	load   *progressbar.ProgressBar
	points *progressbar.ProgressBar
}

// newProgress returns nil when w is not a terminal.
func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progress{w: w}
}

func (p *progress) LoadBytes(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.load == nil {
		p.load = progressbar.NewOptions64(total, progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("loading"), progressbar.OptionShowBytes(true),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100e6), progressbar.OptionClearOnFinish())
	}
	_ = p.load.Set64(done)
}

func (p *progress) PointDone(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.load != nil {
		_ = p.load.Finish()
		p.load = nil
	}
	if p.points == nil {
		p.points = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("points"), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("points"), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100e6), progressbar.OptionClearOnFinish())
	}
	_ = p.points.Set(done)
}

func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.points != nil {
		_ = p.points.Clear()
	}
	if p.load != nil {
		_ = p.load.Clear()
	}
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.points != nil {
		_ = p.points.Finish()
	}
	if p.load != nil {
		_ = p.load.Finish()
	}
}
