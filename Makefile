# Two entry points (see README): `make bench` runs the comparison, `make test` the tests.
# Both bootstrap tox into .venvs/tox first; tox then builds every environment it needs, with
# uv (tox-uv): a minute of pip's installing becomes seconds, a tenth of make bench's budget.
PYTHON ?= python3
TOX_VENV := .venvs/tox
TOX := $(TOX_VENV)/bin/tox
# pyenv's python3.10 shim fails unless 3.10 is active, so find the real binary.
WASM_INTEROP_PY310 ?= $(or $(shell ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python3.10 2>/dev/null | tail -n 1),python3.10)
export WASM_INTEROP_PY310
# `make bench` runs on the newest CPython 3.10-3.13 found (pyenv's, else python3): the run's
# own interpreter is then the newest one each runtime is measured on, without a venv to build.
WASM_INTEROP_PY_NEWEST ?= $(or $(shell ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[0-3].*/bin/python3.1[0-3] 2>/dev/null | sort -V | tail -n 1),$(PYTHON))
export WASM_INTEROP_PY_NEWEST
# Debian packages: BENCH_PACKAGES build the native floor (Debian's rustc, used when rustup has
# no toolchain) and give the wasm2c runtime its translator (wabt; it compiles with gcc); the
# tests also use the guest toolchain (rebuild check), chromium (the report is opened in a real
# headless browser), wabt's wasm-validate (it checks the generated modules) and valgrind
# (`--measure instructions`, which the default run does not use: `apt-get install valgrind`).
BENCH_PACKAGES := rustc wabt
# WebKitGTK's JavaScriptCore library, which the jsc runtime loads (wasmhost, ctypes).
BENCH_PACKAGES += libjavascriptcoregtk-4.1-0
TEST_PACKAGES := $(BENCH_PACKAGES) libstd-rust-dev-wasm32 lld chromium valgrind

.PHONY: bench test lint bench-deps test-deps

# Without ARGS no "--" at all: tox takes a bare "--" as empty arguments, not as "use the
# profile in tox.ini".
bench: $(TOX) bench-deps
	$(TOX) -e bench $(if $(strip $(ARGS)),-- $(ARGS))

# The three environments at once (each prints its output when it ends, a failing one in full):
# the suite's own two workers leave a core idle much of the time.
test: $(TOX) test-deps
	$(TOX) run-parallel -p all --parallel-no-spinner -e tests-wasmer,tests,lint

lint: $(TOX)
	$(TOX) -e lint

$(TOX):
	$(PYTHON) -m venv $(TOX_VENV)
	$(TOX_VENV)/bin/pip install --quiet --disable-pip-version-check 'tox>=4.11,<5' 'tox-uv>=1.11'

# Install missing Debian packages when run as root with apt; otherwise say what is missing
# and what it costs (the runs and tests that need them report them unavailable, or skip).
define install-packages
@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
if [ -z "$$missing" ]; then exit 0; fi; \
if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	echo "installing Debian packages: $$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
else \
	echo "note: not installing $$missing (needs root and apt-get): $(2)"; \
fi
endef

bench-deps:
	$(call install-packages,$(BENCH_PACKAGES),without a Rust toolchain the native floor reads 'unavailable' and without wabt the wasm2c runtime does; install rustc with apt-get or rustup and wabt with apt-get; without libjavascriptcoregtk-4.1-0 the jsc runtime reads 'unavailable')

test-deps:
	$(call install-packages,$(TEST_PACKAGES),the tests that need them will skip)
