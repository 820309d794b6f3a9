# course_tl — `make run` (main job) and `make test` (all tests) set everything up on a fresh machine.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Take torch and torchvision as a matching pair from the package index: ignore a pip config (and find-links)
# that points at a CPU-only torch wheel, for which no torchvision exists.
PIP := env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(BIN)/pip

.PHONY: install run test test-notebooks test-pytest export readme docs browser bench lessons rehearse clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -e ".[dev,slides]"
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/course-tl railway --full

# Every notebook in quick mode (nbdev's test_nb) and the pytest suite, on two lanes, longest jobs first (tools/run_tests.py)
test: install browser
	$(BIN)/python tools/run_tests.py

test-notebooks: install
	$(BIN)/python tools/run_tests.py --no-pytest

test-pytest: install
	$(BIN)/pytest -q tests

export: install
	$(BIN)/nbdev-export

# Execute the lesson notebooks in place (their committed outputs), one table of seconds per lesson
lessons: install
	$(BIN)/python tools/run_lessons.py

# Every lesson in full mode (lesson 4 also in original mode) from a fresh Colab-like environment, on the CPU, capped
rehearse: install
	$(BIN)/python tools/rehearse.py

readme: install
	$(BIN)/python tools/readme.py

# The course website in _docs/ (open _docs/index.html), built offline from nbs/ by tools/build_docs.py with Sphinx +
# MyST-NB + sphinx-book-theme: pip-installable (the docs extra), no network at build time, the notebooks' committed
# outputs rendered without running them, and Sphinx's search works from files on disk (its index is a <script>).
# nbdev's own nbdev-docs would need Quarto, which is not installable everywhere. tests/test_docs.py checks the site.
docs: install
	$(BIN)/python tools/build_docs.py

# Headless Chromium for the slide-deck browser test: installed when we are root on Debian/Ubuntu, else the test skips.
browser:
	@bash tools/install_browser.sh || echo "note: no headless Chromium here; the browser test of the slides will be skipped"

bench: install
	$(BIN)/python bench/railway.py

clean:
	rm -rf out slides data_cache/generated _docs _proc
