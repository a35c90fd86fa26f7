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

.PHONY: install book test unit nbval test-portable notebooks clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[torch,keras,book,test]"
	$(PY) -m pip install --quiet --no-deps "recbole>=1.2"
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	@touch $@

book: install
	rm -rf _build/html
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

test: install
	$(PY) -m pytest tests $(NOTEBOOKS) $(NBVAL) -q

unit: install
	$(PY) -m pytest tests -q

nbval: install
	$(PY) -m pytest $(NOTEBOOKS) $(NBVAL) -q

# The notebook tests with the math libraries forced onto other CPU kernels: low-order bits change
# the way they do on another machine, and the stored outputs must still pass (not re-executed).
PORTABLE_ENV := ATEN_CPU_CAPABILITY=default OPENBLAS_CORETYPE=Sandybridge \
  NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" \
  MKL_ENABLE_INSTRUCTIONS=SSE4_2 MKL_CBWR=COMPATIBLE ONEDNN_MAX_CPU_ISA=SSE41 DNNL_MAX_CPU_ISA=SSE41

test-portable: install
	env $(PORTABLE_ENV) $(PY) -m pytest $(NOTEBOOKS) $(NBVAL) -q

notebooks: install
	for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(VENV)/bin/jupyter execute --inplace --timeout=900 "$$nb" || exit 1; \
	done

clean:
	rm -rf _build .pytest_cache
