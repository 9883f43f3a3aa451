# kreiswerk: `make run` starts it with demo data, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export KREISWERK_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test install static migrate demo lint bench clean test-sqlite test-postgres test-browser

$(STAMP): pyproject.toml package.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	npm install --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP) static

static: $(STAMP)
	rm -rf src/kreiswerk/static/vendor
	mkdir -p src/kreiswerk/static/vendor/kern src/kreiswerk/static/vendor/json-logic
	cp -r node_modules/@kern-ux/native/dist/kern.min.css node_modules/@kern-ux/native/dist/fonts src/kreiswerk/static/vendor/kern/
	cp node_modules/@kern-ux/native/LICENSE.md src/kreiswerk/static/vendor/kern/
	cp node_modules/json-logic-js/logic.js node_modules/json-logic-js/LICENSE src/kreiswerk/static/vendor/json-logic/
	@# The compiled catalogue is committed; recompile where gettext is installed.
	if command -v msgfmt >/dev/null; then $(BIN)/kreiswerk compilemessages --ignore=.venv --ignore=node_modules -v 0; fi

migrate: install
	$(BIN)/kreiswerk migrate --noinput -v 0
	$(BIN)/kreiswerk createcachetable

demo: migrate
	$(BIN)/kreiswerk demo

run: demo
	bash scripts/run.sh

test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check src tests bench devtools
	$(BIN)/ruff format --check src tests bench devtools
	$(BIN)/bandit -q -c pyproject.toml -r src

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules var src/kreiswerk/static/vendor
