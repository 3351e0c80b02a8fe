# botprof — the two commands a newcomer needs are `make experiment` and `make test`.
GO      ?= go
BIN     := bin/botprof
SPECS   := experiments/default.yaml experiments/sweep.yaml

.PHONY: all build experiment test test-race fuzz bench bench-go bench-e2e bench-data vet fmt clean

all: build

build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/botprof

# The main job: the notebook's experiment and the 45-point sweep on the embedded data.
experiment: build
	@for s in $(SPECS); do ./$(BIN) run $$s || exit 1; done

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-race:
	$(GO) test -race -count=1 -timeout 60m ./...

# Native Go fuzzing, FUZZTIME per target (default 20s): the NetFlow and
# binetflow line parsers, the whole loader, the spec loader with --set, and
# the results-folder reader, and the hmm methods on random models with bad
# values. Inputs that fail land in testdata/fuzz/ of the
# package: commit them, they become regression tests of make test. Each
# target also has a seed corpus there (real lines and files of the embedded
# data, the shipped specs, the report test runs).
FUZZTIME ?= 20s
FUZZ_TARGETS := stages/load:FuzzNetflowLine stages/load:FuzzBinetflowLine stages/load:FuzzLoadFile \
	pipeline:FuzzParsePlan report:FuzzLoad hmm:FuzzModel
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
	  $(GO) test ./$$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) || exit 1; done

# Benchmarks: Go micro-benchmarks (benchstat-readable) and whole-process timings.
bench: bench-go bench-e2e

bench-go:
	@mkdir -p bench
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./hmm/ ./stages/... ./pipeline/... | tee bench/go-bench.txt

bench-data:
	./scripts/bench-data

bench-e2e: build bench-data
	./scripts/bench-e2e.sh

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

clean:
	rm -rf bin/ .botprof-cache/
