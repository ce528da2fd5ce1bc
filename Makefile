# Cascade: `make run` starts the service with demo data, `make test` runs the whole suite.
GO        ?= go
BIN       := bin/cascade
STATICCHECK_VERSION := v0.8.2

.PHONY: run build test test-postgres lint bench clean

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

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
