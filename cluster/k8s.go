package cluster

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// K8sJob describes a sweep as a Kubernetes Indexed Job plus a collect Job.
// Paths are as the pods see them: the persistent volume claim is mounted at
// Mount and holds the stage cache (Mount/cache) and the results
// (Mount/results); the spec and its data must be readable in the pod (on
// the volume or in the image).
type K8sJob struct {
	Experiment  string
	Image       string
	CachePVC    string
	Mount       string // where the claim is mounted, e.g. /botprof
	Spec        string // spec path inside the pod
	Sets        []string
	Shards      int
	Parallelism int // pods at once (0: Shards)
	CPUs        int // CPU request and --jobs per pod
	Memory      string
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Name is the Job name: botprof-<experiment>, lower-cased, a DNS label.
func (k K8sJob) Name() string {
	n := strings.ToLower("botprof-" + k.Experiment)
	n = regexp.MustCompile(`[^a-z0-9-]+`).ReplaceAllString(n, "-")
	if len(n) > 50 {
		n = n[:50]
	}
	return strings.TrimRight(n, "-")
}

// Validate checks what the manifests need.
func (k K8sJob) Validate() error {
	switch {
	case k.Shards < 1:
		return fmt.Errorf("--shards must be at least 1, got %d", k.Shards)
	case k.Image == "":
		return fmt.Errorf("--image is required")
	case k.CachePVC == "" || !dnsLabel.MatchString(k.CachePVC):
		return fmt.Errorf("--cache-pvc %q: want the name of a PersistentVolumeClaim (a DNS label)", k.CachePVC)
	case !strings.HasPrefix(k.Mount, "/"):
		return fmt.Errorf("--mount %q is not an absolute path", k.Mount)
	case k.CPUs < 1:
		return fmt.Errorf("--cpus-per-task must be at least 1, got %d", k.CPUs)
	case k.Parallelism < 0:
		return fmt.Errorf("--parallelism must not be negative")
	}
	return nil
}

// yq quotes s as a YAML double-quoted scalar (JSON string syntax is valid
// YAML).
func yq(s string) string { return strconv.Quote(s) }

func (k K8sJob) container(b *strings.Builder, args []string, env [][2]string) {
	b.WriteString("      containers:\n")
	b.WriteString("        - name: botprof\n")
	fmt.Fprintf(b, "          image: %s\n", yq(k.Image))
	b.WriteString("          command: [\"botprof\"]\n")
	b.WriteString("          args:\n")
	for _, a := range args {
		fmt.Fprintf(b, "            - %s\n", yq(a))
	}
	for _, s := range k.Sets {
		fmt.Fprintf(b, "            - \"--set\"\n            - %s\n", yq(s))
	}
	b.WriteString("          env:\n")
	for _, e := range env {
		fmt.Fprintf(b, "            - name: %s\n              value: %s\n", e[0], yq(e[1]))
	}
	b.WriteString("          resources:\n            requests:\n")
	fmt.Fprintf(b, "              cpu: %s\n", yq(strconv.Itoa(k.CPUs)))
	if k.Memory != "" {
		fmt.Fprintf(b, "              memory: %s\n", yq(k.Memory))
	}
	b.WriteString("          volumeMounts:\n")
	fmt.Fprintf(b, "            - name: work\n              mountPath: %s\n", yq(k.Mount))
	b.WriteString("      volumes:\n")
	fmt.Fprintf(b, "        - name: work\n          persistentVolumeClaim:\n            claimName: %s\n", yq(k.CachePVC))
}

// ShardsManifest is the Indexed Job: pod i runs `botprof run SPEC --shard
// auto`, which reads JOB_COMPLETION_INDEX and BOTPROF_SHARDS.
func (k K8sJob) ShardsManifest() string {
	par := k.Parallelism
	if par == 0 {
		par = k.Shards
	}
	var b strings.Builder
	b.WriteString("apiVersion: batch/v1\nkind: Job\nmetadata:\n")
	fmt.Fprintf(&b, "  name: %s\n", k.Name())
	fmt.Fprintf(&b, "  labels:\n    app.kubernetes.io/name: botprof\n    botprof/experiment: %s\n", yq(k.Name()))
	b.WriteString("spec:\n  completionMode: Indexed\n")
	fmt.Fprintf(&b, "  completions: %d\n  parallelism: %d\n", k.Shards, par)
	b.WriteString("  backoffLimit: 6\n  template:\n    spec:\n      restartPolicy: OnFailure\n")
	k.container(&b, []string{"run", k.Spec, "--shard", "auto", "--jobs", strconv.Itoa(k.CPUs), "--quiet", "--explain"},
		[][2]string{{"BOTPROF_CACHE", k.Mount + "/cache"}, {"BOTPROF_SHARDS", strconv.Itoa(k.Shards)}})
	return b.String()
}

// CollectManifest is the collect Job, applied once the Indexed Job is
// complete (Kubernetes Jobs have no dependencies; see the printed kubectl
// commands).
func (k K8sJob) CollectManifest() string {
	var b strings.Builder
	b.WriteString("apiVersion: batch/v1\nkind: Job\nmetadata:\n")
	fmt.Fprintf(&b, "  name: %s-collect\n", k.Name())
	fmt.Fprintf(&b, "  labels:\n    app.kubernetes.io/name: botprof\n    botprof/experiment: %s\n", yq(k.Name()))
	b.WriteString("spec:\n  backoffLimit: 2\n  template:\n    spec:\n      restartPolicy: OnFailure\n")
	k.container(&b, []string{"run", k.Spec, "--require-cached", "--jobs", strconv.Itoa(k.CPUs), "--quiet", "--results", k.Mount + "/results"},
		[][2]string{{"BOTPROF_CACHE", k.Mount + "/cache"}})
	return b.String()
}
