package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"botprof/report"
	"botprof/runfolder"
)

var (
	normal   = []string{"147.32.84.170", "147.32.84.134", "147.32.84.164", "147.32.87.36", "147.32.80.9", "147.32.87.11"}
	infected = []string{"147.32.84.165", "147.32.84.191", "147.32.84.192", "147.32.84.193", "147.32.84.205", "147.32.84.206", "147.32.84.207", "147.32.84.208", "147.32.84.209"}
)

func main() {
	src := flag.String("src", "../shared/reference/notebook", "directory with published.json and hmmlearn_fit{204,209}.json")
	out := flag.String("out", "results/reference/notebook", "results folder to write")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mkreference:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	ref := report.Reference{
		Experiment: "notebook-reference",
		Score:      "viterbi",
		Classes:    map[string]string{},
		Hosts:      append(append([]string(nil), normal...), infected...),
		// The notebook prints 0 for 147.32.87.11, which has no flows: not a score.
		Insufficient: map[string]bool{"147.32.87.11": true},
		DataPath:     "data/ctu13/s10/capture20110818.16hosts.reconstructed.netflow.labeled.zst",
		DataSHA256:   "dc9e9194d6fcac69475e2a78203b31627eb171673bc08375b36cb48b12b2666b",
	}
	for _, h := range normal {
		ref.Classes[h] = "normal"
	}
	for _, h := range infected {
		ref.Classes[h] = "infected"
	}
	var published struct{ Scores map[string]float64 }
	if err := runfolder.ReadJSON(filepath.Join(src, "published.json"), &published); err != nil {
		return err
	}
	ref.Points = append(ref.Points, report.ReferencePoint{Name: "source=published", Params: runfolder.Params{"source": "published"}, Scores: published.Scores})
	for _, fit := range []string{"204", "209"} {
		var runs struct{ Runs map[string]map[string]float64 }
		if err := runfolder.ReadJSON(filepath.Join(src, "hmmlearn_fit"+fit+".json"), &runs); err != nil {
			return err
		}
		var seeds []int
		for name := range runs.Runs {
			s, err := strconv.Atoi(strings.TrimPrefix(name, "seed"))
			if err != nil {
				return fmt.Errorf("hmmlearn_fit%s.json: run %q is not seedN", fit, name)
			}
			seeds = append(seeds, s)
		}
		sort.Ints(seeds)
		for _, s := range seeds {
			seed := uint64(s)
			ref.Points = append(ref.Points, report.ReferencePoint{
				Name:   fmt.Sprintf("fit=%s,model.seed=%d", fit, s),
				Params: runfolder.Params{"fit": fit, "model.seed": strconv.Itoa(s)},
				Seed:   &seed,
				Scores: runs.Runs["seed"+strconv.Itoa(s)],
			})
		}
	}
	if err := report.WriteReference(out, ref); err != nil {
		return err
	}
	if err := report.WriteSummary(out); err != nil {
		return err
	}
	return nil
}
