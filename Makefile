# Sluice: `make demo` runs the quickstart on Fixtures/, `make test` runs every test.
# Both install the Debian packages they need first (apt-get, as root or through sudo).

SHELL := /bin/bash
SWIFT ?= swift
DEBS := pkg-config libzstd-dev libopenblas-dev libxml2-dev libicu-dev libbz2-dev zlib1g-dev libdeflate-dev git \
        libcurl4-openssl-dev \
        libopenmpi-dev openmpi-bin \
        python3 python3-venv
# Headless Chromium renders `sluice report`'s page in the report tests (docs/report.md).
DEBS += chromium
VENV := .venv
PY := $(VENV)/bin/python
SLUICE := .build/release/sluice
TEST_LOG := .build/test-output.txt

.PHONY: deps build demo test bench venv bench-venv slurm clean
.PHONY: fuzz

# Installs only the packages that are missing, so a machine that has them needs no root.
deps:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "error: '$(SWIFT)' not found: install a Swift 6.1+ toolchain (swift.org/install)"; exit 1; }

# The Python packages the interop tests call (Tests/requirements.txt), pinned; the benchmarks'
# reference tools (Benchmarks/requirements.txt) go into a second environment, so that tests do
# not install spaCy, datatrove and the like.
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
venv: $(VENV)/.ok
$(VENV)/.ok: Tests/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r Tests/requirements.txt
	touch $@
bench-venv: $(BENCH_VENV)/.ok
$(BENCH_VENV)/.ok: Benchmarks/requirements.txt Tests/requirements.txt
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --disable-pip-version-check -r Tests/requirements.txt -r Benchmarks/requirements.txt
	touch $@

# A single-node Slurm cluster on loopback for the Slurm tests: always in CI, and wherever the
# tests run as root on a machine that has the Slurm tools.
slurm:
	@if [ "$$CI" = "true" ] || { [ $$(id -u) -eq 0 ] && command -v sbatch >/dev/null; }; then \
	  ./Scripts/start-local-slurm.sh >/dev/null; fi

build: deps
	$(SWIFT) build -c release --product sluice

demo: build
	./Scripts/demo.sh $(SLUICE)

# Builds first (compile errors show in full), then runs the tests with the whole log in
# $(TEST_LOG) and, on the terminal, only failures, skips with their reasons, and the summary
# (lines cut at 400 characters); a failed run ends with the list of failed tests.
test: deps venv slurm
	$(SWIFT) build --build-tests
	@mkdir -p .build; set -o pipefail; \
	SLUICE_PYTHON=$(abspath $(PY)) $(SWIFT) test --skip-build 2>&1 | tee $(TEST_LOG) \
	  | grep --line-buffered -E '✘|↳|(^|: )error:|[Ff]atal error|[Cc]rashed|unexpected signal|skipped|Test run with' \
	  | grep --line-buffered -v -E '↳ (Testing Library Version|Target Platform)' | cut -c1-400; \
	status=$${PIPESTATUS[0]}; \
	if [ $$status -ne 0 ]; then \
	  echo; echo "FAILED (exit $$status). Failed tests:"; \
	  grep -E '✘ Test .* failed|(^|: )error:|[Ff]atal error|[Cc]rashed|unexpected signal' $(TEST_LOG) | cut -c1-200 | sort -u | head -n 100; \
	  echo "full log: $(TEST_LOG)"; \
	else echo "all tests passed (full log: $(TEST_LOG))"; fi; \
	exit $$status

# Fuzz targets (Fuzz/, docs/fuzzing.md): libFuzzer + AddressSanitizer builds of every parser of user
# files, each fuzzed for its share of FUZZ_SECONDS, then every input under Fuzz/regressions/ replayed.
# A crash, a hang (FUZZ_TIMEOUT s) or an allocation above FUZZ_RSS_MB fails the target.
FUZZ_SECONDS ?= 240
FUZZ_SEED ?= 0
fuzz: deps
	$(SWIFT) build --package-path Fuzz --build-path Fuzz/.build -Xswiftc -sanitize=fuzzer,address -Xswiftc -O
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) Fuzz/run.sh $(FUZZ_TARGETS)

# docs/stages.md is generated from the code (`sluice stages --markdown`); a test fails while it is stale.
.PHONY: docs
docs: deps
	$(SWIFT) build --product sluice
	"$$($(SWIFT) build --show-bin-path)/sluice" stages --markdown > docs/stages.md

# swift-format (in the toolchain) with the repo's .swift-format: 4 spaces, 120 columns. `make format`
# rewrites every Swift file in place; `make format-check` formats copies and lists the files that differ.
.PHONY: format format-check
SWIFT_FILES = find . \( -name '.build*' -o -name '.venv*' -o -name .swiftpm -o -name .git -o -path ./out -o -path ./Fixtures \) -prune -o -name '*.swift' -print | sort
format:
	$(SWIFT_FILES) | xargs $(SWIFT) format format --in-place --parallel --configuration .swift-format
format-check:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	files=$$($(SWIFT_FILES)); \
	for f in $$files; do mkdir -p "$$tmp/$$(dirname "$$f")"; cp "$$f" "$$tmp/$$f"; done; \
	(cd "$$tmp" && $(SWIFT) format format --in-place --parallel --configuration "$(CURDIR)/.swift-format" $$files) || exit 1; \
	bad=$$(for f in $$files; do cmp -s "$$f" "$$tmp/$$f" || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "not formatted (run make format):"; echo "$$bad"; exit 1; fi; \
	echo "all Swift files are formatted"

bench: build bench-venv
	SLUICE_PYTHON=$(abspath $(BENCH_PY)) $(BENCH_PY) Benchmarks/run.py --sluice $(SLUICE)

clean:
	rm -rf .build out
