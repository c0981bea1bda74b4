# cicd.gitlab: every target sets itself up (a virtualenv with pinned requirements in .venv).
#   make demo    run the demo playbook against the bundled fake GitLab (or GITLAB_URL/GITLAB_TOKEN)
#   make test    every test: pytest (unit, fidelity, integration, reduced reliability), ansible-lint, ansible-test sanity,
#                build + install the tarball and render every module's docs
#   make matrix  for every ansible-core line that meta/runtime.yml claims: build and install the tarball,
#                ansible-test sanity, and a smoke playbook of every module against the fake (tests/matrix)
# The development tools run on Python 3.12+ (ansible-core 2.21); tools/find_python.sh finds one
# (set PYTHON=/path/to/python3.12 to choose) and says what to install when there is none.

VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed

.PHONY: test demo bench reliability venv pytest lint sanity docs matrix clean

$(STAMP): tests/requirements-dev.txt tools/venv.sh
	VENV=$(VENV) tools/venv.sh

venv: $(STAMP)

test: venv pytest lint sanity docs
	@echo "make test: all checks passed"

# Two pytest workers (pytest-xdist), each file on one worker; PYTEST_WORKERS=0 runs every test in one process, in order.
PYTEST_WORKERS ?= 2

pytest: venv
	$(BIN)/python -m pytest -q -ra -n $(PYTEST_WORKERS) --dist loadfile

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

matrix: venv
	tools/matrix.sh

clean:
	rm -rf $(VENV) .matrix .ansible collections tests/output dist
