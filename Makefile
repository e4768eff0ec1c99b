# Two commands do all set-up: `make report` (the benchmark report on the corpus shipped in
# corpora/) and `make test`. Both create .venv on first use from constraints.txt.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test bench-shared clean

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[bench,test,cluster]'
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/nncomp bench --corpus shipped --out out/shipped
	$(BIN)/nncomp report out/shipped/results.json --out out/shipped
	@echo "report: out/shipped/report.md and out/shipped/report.html"

test: $(STAMP)
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

clean:
	rm -rf out .pytest_cache .hypothesis
