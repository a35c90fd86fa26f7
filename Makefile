# The book's three commands:
#   make book       build the rendered book (HTML in _build/html), warnings are errors
#   make test       unit tests + every notebook as a strict nbval regression test
#   make notebooks  re-execute every notebook in place so committed outputs match the code
# Each creates .venv (unless a virtual environment is active) and installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
TORCH ?= torch==2.13.0
ifdef VIRTUAL_ENV
VENV := $(VIRTUAL_ENV)
else
VENV := .venv
endif
PY := $(VENV)/bin/python
STAMP := $(VENV)/.companion-installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Two pytest workers by default, one per CI core (README: wall times with and without them).
# --dist loadscope keeps a notebook's cells together, in order, on one worker; every kernel runs
# one thread (companion.seed_everything), so two workers never stall each other's thread pools.
# `make test XDIST=` runs everything in one process; `XDIST="-n 4 --dist loadscope"` on 4 cores.
XDIST ?= -n 2 --dist loadscope

.PHONY: install book test unit nbval test-portable notebooks clean student lab book-check colab-env colab-check bench full-size gpu-check

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[torch,keras,book,test,classroom,rl,ctr,survival]"
	$(PY) -m pip install --quiet --no-deps "recbole>=1.2"
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	@touch $@

book: install
	rm -rf _build/html
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

test: install
	$(PY) -m pytest tests $(NOTEBOOKS) $(NBVAL) $(XDIST) -q

unit: install
	$(PY) -m pytest tests -q

nbval: install
	$(PY) -m pytest $(NOTEBOOKS) $(NBVAL) $(XDIST) -q

# The notebook tests with the math libraries forced onto other CPU kernels: low-order bits change
# the way they do on another machine, and the stored outputs must still pass (not re-executed).
PORTABLE_ENV := ATEN_CPU_CAPABILITY=default OPENBLAS_CORETYPE=Sandybridge \
  NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" \
  MKL_ENABLE_INSTRUCTIONS=SSE4_2 MKL_CBWR=COMPATIBLE ONEDNN_MAX_CPU_ISA=SSE41 DNNL_MAX_CPU_ISA=SSE41

test-portable: install
	env $(PORTABLE_ENV) $(PY) -m pytest $(NOTEBOOKS) $(NBVAL) $(XDIST) -q

notebooks: install
	for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(VENV)/bin/jupyter execute --inplace --timeout=900 "$$nb" || exit 1; \
	done

# --- classroom (issue 13): student copies, JupyterLab, the Colab-version run ---------------
# make student      student copy of every chapter in _build/student (solutions removed,
#                   exercise outputs cleared; companion/classroom/student.py, driven by cell tags)
# make lab          open the notebooks in JupyterLab
# make colab-check  build Colab's library versions on Python 3.13 (.venv-colab) and execute
#                   every notebook there (asserts must hold; outputs are not compared)
COLAB_PYTHON ?= $(HOME)/.pyenv/versions/3.13.0/bin/python
COLAB_VENV ?= .venv-colab
COLAB_STAMP := $(COLAB_VENV)/.colab-installed
COLAB_OUT ?= _build/colab-check

student: install
	$(PY) -m companion.classroom.student notebooks _build/student

# headless Chromium, network cut off: equations render, solutions hidden until clicked
book-check: book
	$(PY) tests/browser_check_book.py
	$(PY) tests/browser_check_lab.py

lab: install
	$(VENV)/bin/jupyter lab notebooks

colab-env: $(COLAB_STAMP)

$(COLAB_STAMP): .ci/colab-constraints.txt pyproject.toml
	@test -x $(COLAB_VENV)/bin/python || $(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -c .ci/colab-constraints.txt \
	  torch tensorflow keras numpy pandas scikit-learn gymnasium
	$(COLAB_VENV)/bin/python -m pip install --quiet -c .ci/colab-constraints.txt -e ".[test]" nbclient
	$(COLAB_VENV)/bin/python -m pip install --quiet --no-deps "recbole>=1.2"
	$(COLAB_VENV)/bin/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	@touch $@

colab-check: colab-env
	$(COLAB_VENV)/bin/python .ci/colab_check.py --constraints .ci/colab-constraints.txt \
	  --out $(COLAB_OUT) $(NOTEBOOKS)

# --- performance and the GPU (issue 19) ---------------------------------------------------
# make bench       time per training epoch and peak memory of every model at full size, on
#                  companion.device(); writes companion/results/benchmark.json (the results appendix shows it)
# make full-size   every chapter with FULL_SIZE = True (executed copies in _build/full_size)
# make gpu-check   on a CUDA machine: pytest -m gpu, the benchmark on the GPU, then make full-size
bench: install
	$(PY) -m companion.benchmark

full-size: install
	$(PY) .ci/full_size.py $(filter notebooks/0% notebooks/1%,$(NOTEBOOKS))

gpu-check: install
	PY=$(PY) bash .ci/gpu-check

clean:
	rm -rf _build .pytest_cache
