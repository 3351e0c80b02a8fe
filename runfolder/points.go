package runfolder

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// ROCPoint is one point of a ROC curve: the rates of positives (TPR) and
// negatives (FPR) scoring at or above Threshold.
type ROCPoint struct {
	Threshold float64 `json:"threshold"`
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
}

// MarshalJSON writes infinite thresholds as Float does (JSON has no Inf).
func (p ROCPoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Threshold Float   `json:"threshold"`
		FPR       float64 `json:"fpr"`
		TPR       float64 `json:"tpr"`
	}{Float(p.Threshold), p.FPR, p.TPR})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *ROCPoint) UnmarshalJSON(b []byte) error {
	var v struct {
		Threshold Float   `json:"threshold"`
		FPR       float64 `json:"fpr"`
		TPR       float64 `json:"tpr"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = ROCPoint{float64(v.Threshold), v.FPR, v.TPR}
	return nil
}

// PointFiles are the files of points/<point>/: the fitted model and the
// discretization mapping (JSON as the stages wrote them), the fit's
// convergence record, the host-level ROC curve of every score kind and
// the window-level ROC curve of the primary score.
type PointFiles struct {
	Model, Mapping json.RawMessage
	Train          TrainSummary
	ROCHost        map[string][]ROCPoint
	ROCWindow      []ROCPoint
}

// PointFileNames are the files of points/<point>/, in writing order.
var PointFileNames = []string{"model.json", "mapping.json", "convergence.json", "roc_host.csv", "roc_window.csv"}

// WritePointFiles writes the PointFileNames into dir, creating it: see
// Encode.
func WritePointFiles(dir string, pf PointFiles) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b bytes.Buffer
	for _, name := range PointFileNames {
		b.Reset()
		if err := pf.Encode(name, &b); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, name), err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Encode writes the point file name (one of PointFileNames) to w:
// model.json and mapping.json re-indented (one space) whatever layout they
// came in, convergence.json (Train), roc_host.csv (kind,threshold,fpr,tpr;
// kinds in ScoreKinds order) and roc_window.csv (threshold,fpr,tpr).
// Thresholds ±Inf are written "inf"/"-inf". The stage cache stores these
// bytes, so a cached point's files are copied, not re-encoded.
func (pf *PointFiles) Encode(name string, w io.Writer) error {
	switch name {
	case "model.json":
		return encodeRawJSON(w, pf.Model)
	case "mapping.json":
		return encodeRawJSON(w, pf.Mapping)
	case "convergence.json":
		return encodeJSON(w, pf.Train)
	case "roc_host.csv":
		return encodeROCHost(w, pf.ROCHost)
	case "roc_window.csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"threshold", "fpr", "tpr"})
		for _, pt := range pf.ROCWindow {
			cw.Write([]string{fmtROC(pt.Threshold), fmtROC(pt.FPR), fmtROC(pt.TPR)})
		}
		cw.Flush()
		return cw.Error()
	}
	return fmt.Errorf("runfolder: no point file %q", name)
}

// WriteROC writes roc_host.csv: kind,threshold,fpr,tpr, the curve of each
// score kind in ScoreKinds order.
func WriteROC(path string, curves map[string][]ROCPoint) error {
	var b bytes.Buffer
	if err := encodeROCHost(&b, curves); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func encodeROCHost(w io.Writer, curves map[string][]ROCPoint) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"kind", "threshold", "fpr", "tpr"})
	for _, kind := range ScoreKinds {
		for _, pt := range curves[kind] {
			cw.Write([]string{kind, fmtROC(pt.Threshold), fmtROC(pt.FPR), fmtROC(pt.TPR)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// encodeRawJSON writes JSON text in one layout whatever layout it came in
// (it may have been re-indented by a cache round trip).
func encodeRawJSON(w io.Writer, raw []byte) error {
	var c, out bytes.Buffer
	if err := json.Compact(&c, raw); err != nil {
		return err
	}
	if err := json.Indent(&out, c.Bytes(), "", " "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}

func fmtROC(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case math.IsNaN(v):
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ReadROC reads roc_host.csv (kind,threshold,fpr,tpr) into curves per
// kind, or roc_window.csv (threshold,fpr,tpr) into the curve of kind "",
// with the kinds in file order. Columns are found by name; fpr and tpr
// are required, threshold is optional (reference folders of format 1).
func ReadROC(path string) (map[string][]ROCPoint, []string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, nil, fmt.Errorf("%s: empty file", path)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	fi, ok1 := col["fpr"]
	ti, ok2 := col["tpr"]
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("%s:1: need columns fpr and tpr", path)
	}
	ki, hasKind := col["kind"]
	thi, hasT := col["threshold"]
	curves := map[string][]ROCPoint{}
	var kinds []string
	for i, rec := range recs[1:] {
		kind := ""
		if hasKind {
			kind = rec[ki]
		}
		var p ROCPoint
		var errs [3]error
		p.FPR, errs[0] = strconv.ParseFloat(rec[fi], 64)
		p.TPR, errs[1] = strconv.ParseFloat(rec[ti], 64)
		p.Threshold = math.NaN()
		if hasT && rec[thi] != "" {
			p.Threshold, errs[2] = strconv.ParseFloat(rec[thi], 64)
		}
		for _, err := range errs {
			if err != nil {
				return nil, nil, fmt.Errorf("%s:%d: %w", path, i+2, err)
			}
		}
		if _, ok := curves[kind]; !ok {
			kinds = append(kinds, kind)
		}
		curves[kind] = append(curves[kind], p)
	}
	return curves, kinds, nil
}
