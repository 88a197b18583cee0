# Targets for developers and CI. `make ci` is what .ci/run runs.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT   ?= golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCHROUNDS ?= 20
BENCHFLAGS  ?= -benchtime 0.5s

.PHONY: generate check-generated lint test ci bench bench-pacing

## generate: regenerate gen/ from openapi/pipedrive-remote-files.yaml
generate:
	$(GO) generate ./...

## check-generated: fail if regenerating changes gen/ (the committed code must match the spec)
check-generated: generate
	@changes="$$(git status --porcelain -- gen)"; \
	if [ -n "$$changes" ]; then echo "gen/ is stale or hand-edited; run 'make generate' and commit:"; echo "$$changes"; git --no-pager diff --stat -- gen; exit 1; fi

## lint: gofmt, go vet and staticcheck must be clean
lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## test: all tests with the race detector
test:
	$(GO) test -race ./...

## ci: everything CI checks
ci: check-generated lint test

## bench: per-call cost of pipedrive vs the generated client and a net/http baseline (see BENCHMARKS.md); not part of ci
# Rounds of -count 1 rather than one -count N, so that the three implementations are
# measured interleaved and a slow minute on the machine does not land on one of them.
bench:
	@rm -f bench.txt
	@for i in $$(seq $(BENCHROUNDS)); do \
		echo "bench: round $$i of $(BENCHROUNDS)"; \
		$(GO) test -run '^$$' -bench '^Benchmark(CreateRemote|LinkRemote)$$' -benchmem -count 1 $(BENCHFLAGS) ./pipedrive/ >> bench.txt || { cat bench.txt; exit 1; }; \
	done
	$(GO) run $(BENCHSTAT) -col /impl bench.txt

## bench-pacing: 91 calls through one shared client at 1, 4, 16 and 64 goroutines against the fake's 10 requests per second (see BENCHMARKS.md); about 40 s, not part of ci
bench-pacing:
	$(GO) test -run '^$$' -bench '^BenchmarkPacing$$' -benchtime 1x -count 1 ./pipedrive/
