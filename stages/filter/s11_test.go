package filter

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestDefaultClassesS11 classes every label of the embedded scenario-11
// binetflow file (the complete official file). The expected counts come
// from `zstd -dc … | awk -F, 'NR>1{print $NF}'` grouped by label prefix.
func TestDefaultClassesS11(t *testing.T) {
	f, err := os.Open("../../data/ctu13/s11/capture20110818-2.binetflow.zst")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	p := Params{Classes: DefaultClasses("binetflow"), Exclude: []string{"flow=Background*", "flow=From-Background*", "flow=To-Background*"}}
	keep := p.Keep()
	classes := map[string]int{}
	kept := 0
	sc := bufio.NewScanner(zr)
	for line := 1; sc.Scan(); line++ {
		if line == 1 {
			continue
		}
		text := sc.Text()
		label := text[strings.LastIndexByte(text, ',')+1:]
		c := p.Class(label)
		if c == ClassUnknown {
			t.Errorf("line %d: label %q has no class", line, label)
		}
		classes[c]++
		if keep([]byte(label)) {
			kept++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// background: 3230+3378+6981+10607+39580+14+1078+2 flow=Background*,
	// 48 flow=From-Background*, 31451 flow=To-Background*; botnet: 8164
	// flow=From-Botnet*; normal: 2709 From-Normal, 8 To-Normal, 1 Normal-V.
	want := map[string]int{ClassBackground: 96369, ClassBotnet: 8164, ClassNormal: 2718}
	if !reflect.DeepEqual(classes, want) {
		t.Errorf("classes %v, want %v", classes, want)
	}
	if kept != 8164+2718 {
		t.Errorf("kept %d flows, want %d", kept, 8164+2718)
	}
}
