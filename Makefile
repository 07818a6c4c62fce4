# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
REQ_HASH := $(shell cat requirements.txt requirements-no-deps.txt | sha1sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(REQ_HASH)

.PHONY: run test bench mutants install

run: $(STAMP)
	$(VENV)/bin/python scripts/devstack.py run

test: $(STAMP)
	$(VENV)/bin/python scripts/devstack.py test $(ARGS)

# Not part of `make test`: each curated breakage of an enforcement point (scripts/mutants.toml) must
# make the tests fail. ARGS="--only NAME" runs one, ARGS="--list" lists them.
mutants: $(STAMP)
	$(VENV)/bin/python scripts/devstack.py mutants $(ARGS)

bench: $(STAMP)
	$(VENV)/bin/python scripts/devstack.py bench $(ARGS)

install: $(STAMP)

$(STAMP): requirements.txt requirements-no-deps.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -r requirements.txt
	$(VENV)/bin/python -m pip install -q --no-deps -r requirements-no-deps.txt
	rm -f $(VENV)/.installed-*
	touch $@
