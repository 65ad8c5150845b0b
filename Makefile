# Sluice: `make demo` runs the quickstart on Fixtures/, `make test` runs every test.
# Both install the Debian packages they need first (apt-get, as root or through sudo).

SHELL := /bin/bash
SWIFT ?= swift
DEBS := pkg-config libzstd-dev libopenblas-dev libxml2-dev libicu-dev libbz2-dev zlib1g-dev libdeflate-dev git
VENV := .venv
PY := $(VENV)/bin/python
SLUICE := .build/release/sluice

.PHONY: deps build demo test bench venv clean

# Installs only the packages that are missing, so a machine that has them needs no root.
deps:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# The Python packages the interop tests and benchmarks compare against, pinned.
venv: $(VENV)/.ok
$(VENV)/.ok: Benchmarks/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r Benchmarks/requirements.txt
	touch $@

build: deps
	$(SWIFT) build -c release --product sluice

demo: build
	./Scripts/demo.sh $(SLUICE)

test: deps venv
	SLUICE_PYTHON=$(abspath $(PY)) $(SWIFT) test --parallel 2>&1 | tail -n 200; exit $${PIPESTATUS[0]}

bench: build venv
	SLUICE_PYTHON=$(abspath $(PY)) $(PY) Benchmarks/run.py --sluice $(SLUICE)

clean:
	rm -rf .build out
