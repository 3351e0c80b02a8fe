package cluster

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./cluster -update):\n%s", name, got)
	}
}

func testJob() Job {
	return Job{Experiment: "sweep", Binary: "/opt/botprof/bin/botprof", Spec: "/home/u/exp/sweep.yaml",
		Sets: []string{"model.n_iter=20", "hosts.normal=[a, b]"}, CacheDir: "/shared/cache", ResultsDir: "/shared/results",
		Dir: "/shared/slurm/sweep-1", Shards: 4, Partition: "short", Time: "1:00:00", CPUsPerTask: 2}
}

func TestSlurmScriptsGolden(t *testing.T) {
	j := testJob()
	golden(t, "array.sbatch", j.ArrayScript([]int{0, 1, 2, 3}))
	golden(t, "array-resubmit.sbatch", j.ArrayScript([]int{1, 3}))
	golden(t, "collect.sbatch", j.CollectScript())
}

func TestArrayRange(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{{[]int{0}, "0"}, {[]int{0, 1, 2, 3}, "0-3"}, {[]int{1, 3}, "1,3"}, {[]int{0, 1, 3, 5, 6, 7}, "0-1,3,5-7"}} {
		if got := ArrayRange(tc.in); got != tc.want {
			t.Errorf("ArrayRange(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Quote's output reads back as the same word in a real shell.
func TestQuoteShell(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for _, s := range []string{"plain", "with space", "it's", `a"b`, "$HOME", "x=[1, 2]", "", "back\\slash", "new\nline"} {
		out, err := exec.Command("sh", "-c", "printf %s "+Quote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("Quote(%q) = %s read back as %q (%v)", s, Quote(s), out, err)
		}
	}
}

func TestJobValidate(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Job)
		want string
	}{
		{func(j *Job) { j.Shards = 0 }, "--shards"},
		{func(j *Job) { j.CPUsPerTask = 0 }, "--cpus-per-task"},
		{func(j *Job) { j.Spec = "rel.yaml" }, "not absolute"},
		{func(j *Job) { j.Time = "1 hour" }, "space or quote"},
	} {
		j := testJob()
		tc.mod(&j)
		if err := j.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want %q", err, tc.want)
		}
	}
	if err := testJob().Validate(); err != nil {
		t.Fatal(err)
	}
}

// Submit submits the array, then the collect job depending on it, and
// records both ids.
func TestSubmit(t *testing.T) {
	j := testJob()
	j.Dir = t.TempDir()
	var calls [][]string
	ids := []string{"1001", "1002;cluster"}
	fake := func(args ...string) (string, error) {
		calls = append(calls, args)
		id := ids[0]
		ids = ids[1:]
		return id + "\n", nil
	}
	s, err := j.Submit([]int{0, 1, 2, 3}, fake)
	if err != nil {
		t.Fatal(err)
	}
	if s.ArrayJob != "1001" || s.CollectJob != "1002" {
		t.Fatalf("ids %q %q", s.ArrayJob, s.CollectJob)
	}
	want := [][]string{{"--parsable", filepath.Join(j.Dir, "array.sbatch")},
		{"--parsable", "--dependency=afterok:1001", filepath.Join(j.Dir, "collect.sbatch")}}
	if len(calls) != 2 || !slices.Equal(calls[0], want[0]) || !slices.Equal(calls[1], want[1]) {
		t.Fatalf("sbatch calls %q, want %q", calls, want)
	}
	b, err := os.ReadFile(filepath.Join(j.Dir, "jobs"))
	if err != nil || string(b) != "array 1001\ncollect 1002\n" {
		t.Fatalf("jobs file %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(j.Dir, "logs")); err != nil {
		t.Fatal(err)
	}
	_, err = j.Submit([]int{0}, func(args ...string) (string, error) { return "Submitted batch job 5\n", nil })
	if err == nil || !strings.Contains(err.Error(), "not a job id") {
		t.Fatalf("non-parsable output: err = %v", err)
	}
}

func testK8s() K8sJob {
	return K8sJob{Experiment: "Sweep_v2", Image: "registry.example/botprof:1.0", CachePVC: "botprof-cache", Mount: "/botprof",
		Spec: "/botprof/experiments/sweep.yaml", Sets: []string{"model.n_iter=20"}, Shards: 8, Parallelism: 4, CPUs: 2, Memory: "2Gi"}
}

func TestK8sGolden(t *testing.T) {
	k := testK8s()
	golden(t, "shards.k8s.yaml", k.ShardsManifest())
	golden(t, "collect.k8s.yaml", k.CollectManifest())
}

// The subset of batch/v1 Job the manifests use, with the field names of
// the Kubernetes API; decoding with KnownFields rejects a misspelt field.
type k8sJob struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		BackoffLimit   int    `yaml:"backoffLimit"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Name      string   `yaml:"name"`
					Image     string   `yaml:"image"`
					Command   []string `yaml:"command"`
					Args      []string `yaml:"args"`
					Env       []struct{ Name, Value string }
					Resources struct {
						Requests map[string]string `yaml:"requests"`
					} `yaml:"resources"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name                  string `yaml:"name"`
					PersistentVolumeClaim struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func decodeJob(t *testing.T, s string) k8sJob {
	t.Helper()
	var j k8sJob
	dec := yaml.NewDecoder(strings.NewReader(s))
	dec.KnownFields(true)
	if err := dec.Decode(&j); err != nil {
		t.Fatalf("manifest does not decode as a batch/v1 Job: %v\n%s", err, s)
	}
	return j
}

func TestK8sManifestsDecode(t *testing.T) {
	k := testK8s()
	sh := decodeJob(t, k.ShardsManifest())
	if sh.APIVersion != "batch/v1" || sh.Kind != "Job" || sh.Spec.CompletionMode != "Indexed" ||
		sh.Spec.Completions != 8 || sh.Spec.Parallelism != 4 || sh.Metadata.Name != "botprof-sweep-v2" {
		t.Fatalf("shards job: %+v", sh)
	}
	c := sh.Spec.Template.Spec.Containers[0]
	wantArgs := []string{"run", "/botprof/experiments/sweep.yaml", "--shard", "auto", "--jobs", "2", "--quiet", "--explain", "--set", "model.n_iter=20"}
	if !slices.Equal(c.Args, wantArgs) || c.Image != k.Image || c.Resources.Requests["cpu"] != "2" {
		t.Fatalf("container %+v", c)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["BOTPROF_SHARDS"] != "8" || env["BOTPROF_CACHE"] != "/botprof/cache" {
		t.Fatalf("env %v", env)
	}
	if v := sh.Spec.Template.Spec.Volumes; len(v) != 1 || v[0].PersistentVolumeClaim.ClaimName != "botprof-cache" {
		t.Fatalf("volumes %+v", v)
	}
	col := decodeJob(t, k.CollectManifest())
	cc := col.Spec.Template.Spec.Containers[0]
	if col.Spec.CompletionMode != "" || !slices.Contains(cc.Args, "--require-cached") || !slices.Contains(cc.Args, "/botprof/results") {
		t.Fatalf("collect job %+v", col)
	}
	if err := (K8sJob{Shards: 1, Image: "x", CachePVC: "Bad_Name", Mount: "/m", CPUs: 1}).Validate(); err == nil {
		t.Fatal("a PVC name that is no DNS label passed validation")
	}
}
