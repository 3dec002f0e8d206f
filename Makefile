# The few commands a newcomer needs. Python runs from the project's own .venv; SUSHI from
# profiles/node_modules; the HL7 validator from tools/validator (built by Maven on first use).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: venv serve system-packages test test-py312 check lint profiles profiles-check validate contract bench fuzz fuzz-deep

## The project's venv with the test and bench tools.
venv: $(DEV_STAMP)

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): pyproject.toml $(RUN_STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(DEV_STAMP)

## Run the service on 127.0.0.1:8080 (no FHIR server needed to assess a posted bundle).
serve: $(RUN_STAMP)
	$(BIN)/oms-cds serve

## Everything CI checks, on a fresh machine too: the Debian packages the tests need
## (installed with apt-get when missing and root; otherwise one line naming them), the venv,
## HAPI FHIR started in the background, profiles fresh, lint, then the whole test suite.
test: system-packages venv
	scripts/run-tests

## The Debian packages the tests need (scripts/install-system-packages says which and why).
system-packages:
	scripts/install-system-packages

## The unit and API tests again on CPython 3.12 (requires-python says >=3.11,<3.13), where
## it is installed; CI runs this after `make test`.
test-py312:
	@py=""; for c in python3.12 $$(ls -d "$$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12 2>/dev/null); do \
	  if "$$c" --version >/dev/null 2>&1; then py="$$c"; break; fi; done; \
	if [ -z "$$py" ]; then echo "CPython 3.12 is not installed on this machine: its test run is skipped"; exit 0; fi; \
	test -x .venv312/bin/python || "$$py" -m venv .venv312; \
	.venv312/bin/pip install --quiet -e '.[test]' && \
	.venv312/bin/pytest -p no:cacheprovider -q -m "not contract and not fuzz and not validator and not slow and not browser"

## The fast inner loop (under a minute): lint, then the unit and API tests, without the
## real-server, validator, fuzz and slow tests that `make test` adds.
check: venv lint
	$(BIN)/pytest -p no:cacheprovider -q -m "not contract and not fuzz and not validator and not slow and not browser"

lint: venv
	$(BIN)/ruff check service tests bench
	$(BIN)/mypy --strict service bench
	$(BIN)/lint-imports

## Rebuild profiles/fsh-generated from the FSH sources (commit the result).
profiles:
	scripts/build-profiles

## Fail if the committed profiles/fsh-generated is not what the FSH sources build.
profiles-check:
	scripts/build-profiles --check

## Validate the conformance resources and examples with the HL7 validator.
validate:
	scripts/validate-fhir profiles/fsh-generated/resources

## The contract suite alone: against sekmet and HAPI (it starts both), or OMS_CONTRACT_FHIR_URL.
contract: venv
	$(BIN)/pytest -p no:cacheprovider -m contract tests/contract

## Benchmarks (bench/RESULTS.md): all five at full size, ~4 min; ARGS=--small for CI size.
bench: venv
	$(BIN)/python -m bench $(ARGS)

## Only the fuzzers (hypothesis + schemathesis; prints the case counts). fuzz-deep: ~10x cases.
fuzz: venv
	$(BIN)/pytest -p no:cacheprovider -m fuzz tests
fuzz-deep: venv
	OMS_FUZZ_PROFILE=deep $(BIN)/pytest -p no:cacheprovider -m fuzz tests
