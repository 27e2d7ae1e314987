# Two commands do all the set-up on a fresh machine with python3 and make:
#   make report   the main job on the built-in sample mall (writes reports/)
#   make test     ruff + the whole test suite, doctests included
# Both create .venv on first use and reuse it afterwards.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: report test lint bench clean venv

$(STAMP): pyproject.toml
	@if command -v uv >/dev/null 2>&1; then \
		uv venv --python $(PYTHON) $(VENV) && uv pip install --python $(PY) -e '.[dev]'; \
	else \
		$(PYTHON) -m venv $(VENV) && $(PY) -m pip install -q --upgrade pip && \
		$(PY) -m pip install -q -e '.[dev]'; \
	fi
	@touch $(STAMP)

venv: $(STAMP)

report: $(STAMP)
	$(PY) -m mallkit report all

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) reports .pytest_cache .hypothesis
