# Cascade: `make run` starts the service with demo data, `make test` runs the whole suite.
GO        ?= go
BIN       := bin/cascade
STATICCHECK_VERSION := v0.8.2

FUZZTIME  ?= 15s

.PHONY: run build test lint bench load fuzz soak clean

build:
	$(GO) build -o $(BIN) .

run: build
	./$(BIN) serve --demo

# The whole suite. PostgreSQL tests run when CASCADE_TEST_POSTGRES is set
# (CI sets it) and skip with a one-line reason otherwise.
test:
	$(GO) test -count=1 ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Each benchmark iteration imports a large generated file; one iteration of each is enough.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./...

# The README's load figures: gate and listing-feed throughput and latency while an
# import and a re-evaluation run, on SQLite and (with CASCADE_TEST_POSTGRES) PostgreSQL.
load:
	$(GO) test -run '^$$' -bench LoadDuring -benchtime 1x -timeout 30m ./app/web

# Every fuzz target, for FUZZTIME each (go test fuzzes one target per run).
# A target that fails without writing a failing input under testdata/fuzz
# ran into Go's fuzzing coordinator, not our code: with a -fuzztime
# duration it can report "context deadline exceeded" at the deadline while
# a worker is busy (seen in CI on FuzzPolicyLoader; no input reproduced it).
# Such a target runs once more; a written input, or a second failure, fails.
fuzz:
	@for target in imports:FuzzCSVReader imports:FuzzXLSXReader imports:FuzzGTIN imports:FuzzDate app/kernel/tabular:FuzzPartReader app/kernel/tabular:FuzzSheetReaderAgreesWithExcelize app/kernel/tabular:FuzzFastPathsReadAsTheTokens app/kernel/tabular:FuzzLineEnds app/kernel/tabular:FuzzRecordReader catalog/policy:FuzzPolicyLoader; do \
		pkg=$${target%%:*}; fn=$${target##*:}; corpus=./$$pkg/testdata/fuzz/$$fn; \
		before=$$(ls $$corpus 2>/dev/null | wc -l); \
		echo "fuzzing $$fn for $(FUZZTIME)"; \
		$(GO) test ./$$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) && continue; \
		if [ "$$(ls $$corpus 2>/dev/null | wc -l)" != "$$before" ]; then echo "$$fn wrote a failing input to $$corpus"; exit 1; fi; \
		echo "$$fn failed without a failing input: running it once more"; \
		$(GO) test ./$$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

# The incremental re-evaluation's property test, long: 800 simulated days
# per seed (six seeds), on SQLite and (with CASCADE_TEST_POSTGRES) PostgreSQL.
# make test runs it for 90 days and one seed.
SOAK_DAYS ?= 800
soak:
	CASCADE_SOAK_DAYS=$(SOAK_DAYS) $(GO) test -count=1 -timeout 4h -run TestIncrementalReevaluationEqualsAFullOneEveryDay -v ./catalog/verdicts

clean:
	rm -rf bin
