PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-integrations lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q src > /dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/run_demo.py

# The docs site's tests drive headless Chromium (Debian's package): installed here when missing and apt-get
# can; where it cannot, those tests are skipped and say why.
test: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
		{ echo "make test: installing chromium for the docs site's browser tests"; \
		  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		  echo "make test: could not install chromium: the browser tests will be skipped"; }
	$(BIN)/pytest tests -m "not integration"

# Orchestrators running Mason as their dbt (docs/integrations.md): dagster-dbt, astronomer-cosmos with Airflow,
# prefect-dbt, each in a virtualenv of its own (extras integrations-<lib>: the library, dbt-core 1.11, dbt-duckdb,
# Mason editable), compared with dbt-core on examples/jaffle_shop.
INT_VENVS ?= .venv-integrations
INT_LIBS := dagster cosmos prefect

$(INT_VENVS)/%/.installed: pyproject.toml
	rm -rf $(INT_VENVS)/$*
	$(PYTHON) -m venv $(INT_VENVS)/$*
	$(INT_VENVS)/$*/bin/pip install --quiet --upgrade pip
	$(INT_VENVS)/$*/bin/pip install --quiet -e '.[integrations-$*]'
	touch $@

test-integrations: $(STAMP) $(foreach lib,$(INT_LIBS),$(INT_VENVS)/$(lib)/.installed)
	MASON_INTEGRATION_VENVS=$(abspath $(INT_VENVS)) $(BIN)/pytest -m integration tests/integrations

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py $(ARGS)

clean:
	rm -rf $(VENV) $(INT_VENVS) build dist src/*.egg-info
