package pipeline

// Stage train: run, cache read/write.

import (
	"context"
	"io"

	"botprof/hmm"
	"botprof/pipeline/cache"
	"botprof/stages/discretize"
	"botprof/stages/train"
	"botprof/stages/window"
)

// trainOut is the train stage's output.
type trainOut struct {
	model   train.Model
	modelJS []byte
	report  *hmm.Report
	windows int
}

func (r *runner) stageTrain(ctx context.Context, sp *stageParams, sw *stopwatch, key cache.Key, getWin func() (*window.Result, *discretize.Result, error)) (any, bool, error) {
	t, hit, cl, err := lookup(ctx, r, key, "model.json", readTrain)
	if err != nil {
		return nil, false, err
	}
	if hit {
		return t, true, nil
	}
	defer cl.drop()
	w, d, err := getWin()
	if err != nil {
		return nil, false, err
	}
	sw.restart()
	res, err := train.Run(ctx, train.Input{Windows: w, Symbols: d.Symbols}, sp.train)
	if err != nil {
		return nil, false, err
	}
	js, err := train.MarshalModel(res.Model)
	if err != nil {
		return nil, false, err
	}
	t = &trainOut{model: res.Model, modelJS: js, report: res.Report, windows: res.Windows}
	if r.cache != nil {
		r.putAsync(key, map[string]cache.WriteFunc{
			"model.json":  func(w io.Writer) error { _, err := w.Write(js); return err },
			"report.json": jsonWriter(trainReport{Report: res.Report, Windows: res.Windows}),
		}, cl)
	}
	return t, false, nil
}

type trainReport struct {
	Report  *hmm.Report `json:"report"`
	Windows int         `json:"windows"`
}

func readTrain(e *cache.Entry) (*trainOut, error) {
	js, err := e.ReadFile("model.json")
	if err != nil {
		return nil, err
	}
	m, err := train.UnmarshalModel(js)
	if err != nil {
		return nil, err
	}
	var tr trainReport
	if err := readJSON(e, "report.json", &tr); err != nil {
		return nil, err
	}
	return &trainOut{model: m, modelJS: js, report: tr.Report, windows: tr.Windows}, nil
}
