package evaluate

import (
	"fmt"
	"math"
	"sort"
)

// Decision is a rule that turns host scores into a verdict, infected or
// not, the way published results are reported (a confusion matrix rather
// than a ROC). A host is called infected when its primary score is at
// least the threshold the rule gives (scores are higher for hosts more
// like the profiled bot).
//
//	fixed     threshold = Value
//	relative  threshold = s_p − Value·|s_p|, s_p the profiled host's own
//	          score: within a fraction Value of the profile (0: at least as
//	          high as the profile)
//	fpr       the lowest threshold whose false-positive rate is at most
//	          Value (0 ≤ Value ≤ 1) on this point's normal hosts
//
// The zero Decision (Rule "" or "none") computes nothing.
type Decision struct {
	Rule  string  `json:"rule,omitempty" yaml:"rule"`
	Value float64 `json:"value,omitempty" yaml:"value"`
}

// Enabled reports whether d asks for a confusion matrix.
func (d Decision) Enabled() bool { return d.Rule != "" && d.Rule != "none" }

// Validate checks the rule and its value.
func (d Decision) Validate() error {
	switch d.Rule {
	case "", "none":
		return nil
	case "fixed":
		if math.IsNaN(d.Value) || math.IsInf(d.Value, 0) {
			return fmt.Errorf("decision value %v: want a finite threshold", d.Value)
		}
	case "relative":
		if !(d.Value >= 0) || math.IsInf(d.Value, 0) {
			return fmt.Errorf("decision value %v: want a fraction >= 0 of the profiled host's score", d.Value)
		}
	case "fpr":
		if !(d.Value >= 0 && d.Value <= 1) {
			return fmt.Errorf("decision value %v: want a false-positive rate between 0 and 1", d.Value)
		}
	default:
		return fmt.Errorf("decision rule %q: want fixed, relative or fpr", d.Rule)
	}
	return nil
}

// Confusion is the outcome of a Decision on the scored hosts.
type Confusion struct {
	Threshold      float64
	TP, FP, TN, FN int
}

// Threshold returns the rule's threshold for positive (infected) and
// negative (normal) scores and the profiled host's score (NaN when it has
// none; then relative is undefined and NaN is returned).
func (d Decision) Threshold(pos, neg []float64, profile float64) float64 {
	switch d.Rule {
	case "fixed":
		return d.Value
	case "relative":
		return profile - d.Value*math.Abs(profile)
	case "fpr":
		if len(neg) == 0 {
			return math.NaN()
		}
		desc := append([]float64(nil), neg...)
		sort.Sort(sort.Reverse(sort.Float64Slice(desc)))
		k := int(math.Floor(d.Value*float64(len(neg)) + 1e-9)) // false positives allowed
		if k >= len(desc) {
			lo := math.Inf(1)
			for _, v := range append(pos, neg...) {
				lo = math.Min(lo, v)
			}
			return lo
		}
		return math.Nextafter(desc[k], math.Inf(1)) // just above the (k+1)-th highest normal score
	}
	return math.NaN()
}

// Decide applies the threshold: score >= t is called infected.
func Decide(pos, neg []float64, t float64) Confusion {
	c := Confusion{Threshold: t}
	for _, v := range pos {
		if v >= t {
			c.TP++
		} else {
			c.FN++
		}
	}
	for _, v := range neg {
		if v >= t {
			c.FP++
		} else {
			c.TN++
		}
	}
	return c
}

// Metrics returns the confusion matrix and the scores derived from it:
// precision TP/(TP+FP), recall TP/(TP+FN), F1 their harmonic mean,
// accuracy (TP+TN)/all; NaN where a denominator is 0.
func (c Confusion) Metrics() map[string]float64 {
	div := func(a, b int) float64 {
		if b == 0 {
			return math.NaN()
		}
		return float64(a) / float64(b)
	}
	p, r := div(c.TP, c.TP+c.FP), div(c.TP, c.TP+c.FN)
	f1 := math.NaN()
	if p+r > 0 {
		f1 = 2 * p * r / (p + r)
	}
	return map[string]float64{
		"threshold": c.Threshold, "tp": float64(c.TP), "fp": float64(c.FP), "tn": float64(c.TN), "fn": float64(c.FN),
		"precision": p, "recall": r, "f1": f1, "accuracy": div(c.TP+c.TN, c.TP+c.FP+c.TN+c.FN),
	}
}
