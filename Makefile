# make run: set up .venv and open the unetviz app · make test: set up and run the whole test suite · make bench
# make fuzz: the bad-input suites with a larger, random profile (FUZZ_EXAMPLES per target, default 20000)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test fuzz bench system clean

FUZZ_EXAMPLES ?= 20000

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# The pinned CPU wheel first: an open torch range would pull a several-GB CUDA build.
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q torch==2.13.0
	@# Keep that torch: the test oracles (nnU-Net's and MONAI's networks) would otherwise pull a newer one.
	@$(BIN)/python -c "import torch; print('torch==' + torch.__version__.split('+')[0])" > $(VENV)/constraints.txt
	$(BIN)/python -m pip install -q -e '.[test]' -c $(VENV)/constraints.txt
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/unetviz

system:
	@bash scripts/system-deps.sh

test: $(STAMP) system
	$(BIN)/ruff check unetviz tests
	$(BIN)/ruff format --check unetviz tests
	$(BIN)/mypy unetviz tests
	$(BIN)/pytest

fuzz: $(STAMP)
	UNETVIZ_FUZZ=long UNETVIZ_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/test_fuzz.py

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]' -c $(VENV)/constraints.txt
	$(BIN)/python -m unetviz.bench --cold --json bench.json
	$(BIN)/python scripts/bench.py engine

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
