# tickerd: `make run` starts the server with a demo account, `make test`
# runs vet, the whole test suite under the race detector, then every fuzz
# target for a few seconds.

GO ?= go
CHART_JS := web/dashboard/node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js
CHART_VENDOR ?= web/dashboard/static/vendor/lightweight-charts.js

.PHONY: run test fuzz assets build vet bench

run: assets
	$(GO) run ./cmd/tickerd -demo

test: assets
	@[ -f $(CHART_VENDOR) ] || echo "note: no chart library, so the dashboard browser test will be skipped (with CI set it fails)"
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; \
	elif [ -x "$$($(GO) env GOPATH)/bin/staticcheck" ]; then "$$($(GO) env GOPATH)/bin/staticcheck" ./...; \
	else echo "staticcheck not installed: skipped"; fi
	$(GO) test -race -count=1 -timeout 20m ./...
	@$(MAKE) --no-print-directory fuzz

# Every decoder a client (or an operator's file) can reach has a fuzz target
# with a seed corpus; inputs that once failed are kept under the package's
# testdata/fuzz/<Target>/ and run by plain `go test`. `go test -fuzz` takes one
# package and one target at a time. Each runs for a number of inputs (about
# two seconds' worth here) rather than a duration: Go 1.26's fuzz coordinator
# can fail a timed run with a spurious "context deadline exceeded"
# (golang/go#75804, fixed in Go 1.27). FUZZTIME=1m fuzzes each for a minute.
FUZZ_TARGETS := ./web:FuzzDecodeJSON:10000 ./web/stream:FuzzWSClientMessages:40000 \
	./web/stream:FuzzSSEQuery:30000 ./portfolio:FuzzCursor:100000 ./feed:FuzzLoadUniverse:60000 \
	./feed:FuzzParseScenario:20000

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; n=$${rest#*:}; \
		budget=$(if $(FUZZTIME),$(FUZZTIME),$${n}x); \
		echo "fuzz $$pkg $$name: $$budget"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime "$$budget" "$$pkg"; \
	done

build: assets
	$(GO) build -o bin/tickerd ./cmd/tickerd

vet:
	$(GO) vet ./...

# The dashboard's chart library is pinned in web/dashboard/package-lock.json
# and fetched with npm when the lock file is newer than the copy; its built
# file is never committed. Without npm the server still runs, with the
# charts off, and this says so in one line.
assets:
	@if [ -f $(CHART_VENDOR) ] && [ ! web/dashboard/package-lock.json -nt $(CHART_VENDOR) ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
		npm ci --prefix web/dashboard --no-audit --no-fund && \
		mkdir -p $(dir $(CHART_VENDOR)) && \
		cp $(CHART_JS) $(CHART_VENDOR); \
	else echo "npm not found: the dashboard's charts are off (install Node.js and npm, then run make assets)"; fi

# The benchmark (cmd/tickbench): servers on temp databases under tickload and
# wrk, plus the feed's Go benchmarks; writes docs/BENCHMARKS.md and docs/bench/.
# Run it on a quiet machine (about 22 minutes, 6 of them scenario 8's nine
# latency runs and 2 scenario 10's shock runs, which wait for the scenario's
# shock), at a clean commit: the report's header names the commit and
# warns when the tree had uncommitted changes.
# BENCHFLAGS=-quick checks the harness in about a minute; BENCHFLAGS='-only rest'
# reruns one scenario.
bench:
	$(GO) run ./cmd/tickbench $(BENCHFLAGS)
