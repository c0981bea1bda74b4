# cicd.gitlab: every target sets itself up (a virtualenv with pinned requirements in .venv).
#   make demo    run the demo playbook against the bundled fake GitLab (or GITLAB_URL/GITLAB_TOKEN)
#   make test    every test: pytest (unit, fidelity, integration, reduced reliability), ansible-lint, ansible-test sanity,
#                build + install the tarball and render every module's docs

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed

.PHONY: test demo bench reliability venv pytest lint sanity docs clean

$(STAMP): tests/requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r tests/requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

test: venv pytest lint sanity docs
	@echo "make test: all checks passed"

pytest: venv
	$(BIN)/python -m pytest -q -ra

lint: venv
	tools/lint.sh

sanity: venv
	tools/sanity.sh

docs: venv
	tools/docs.sh

demo: venv
	tools/demo.sh

bench: venv
	tools/bench.sh

reliability: venv
	tools/reliability.sh

clean:
	rm -rf $(VENV) .ansible collections tests/output dist
