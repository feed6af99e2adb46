# One entry point for people and CI. Every target creates .venv on first use.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: demo test lint typecheck bench i18n check clean lock

RUNSTAMP := $(VENV)/.installed-run

# The demo needs only what the bot needs; tests and tools add the dev extras.
$(RUNSTAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $(RUNSTAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP) $(RUNSTAMP)

# LANG_CODE=fa make demo: the person's Telegram is in Persian (any code: ru, az, tr, uz ...).
demo: $(RUNSTAMP)
	$(BIN)/python -m bot playground --lang $(or $(LANG_CODE),en)

# Ends with the time the whole target took against the suite's budget (issue 14: 120 s on
# 2 cores), passed or failed.
SUITE_TARGET ?= 120
# Workers for pytest-xdist (TEST_WORKERS=0: one process, as a plain `pytest` run). Tests
# marked `timing` assert wall-clock latency: they run after the parallel part, alone.
# Four on two cores, stealing work: the tests wait on the emulator, bot processes and
# PostgreSQL more than they compute. The parallel part on 2 cores: 94 s with 2 workers,
# 85 s stealing, 75 s with 3, 60 s with 4 (three runs, no failure).
TEST_WORKERS ?= 4
ifeq ($(TEST_WORKERS),0)
PYTEST_RUN = $(BIN)/python -m pytest -q
else
PYTEST_RUN = $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not timing" && \
	  $(BIN)/python -m pytest -q -m timing
endif
test: $(STAMP)
	@start=$$(date +%s); \
	( set -x; $(BIN)/ruff check bot tests bench && \
	  $(BIN)/ruff format --check bot tests bench && \
	  $(BIN)/mypy && \
	  $(BIN)/python -m bot content check --quiet && \
	  $(PYTEST_RUN) ); rc=$$?; \
	took=$$(( $$(date +%s) - start )); \
	if [ $$took -le $(SUITE_TARGET) ]; then verdict="within"; else verdict="OVER"; fi; \
	echo "suite: $$took s (target $(SUITE_TARGET) s, $$verdict) on $$(nproc) cores"; \
	exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

i18n: $(STAMP)
	$(BIN)/python -m bot i18n

check: $(STAMP)
	$(BIN)/python -m bot content check

# The Docker image installs exactly these versions and hashes (requirements.lock).
lock: $(STAMP)
	$(BIN)/pip install -q pip-tools
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file=requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
