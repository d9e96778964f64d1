# dialogkit developer tasks. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# make test runs the suite in two processes (pytest-xdist) of one core each (OMP_NUM_THREADS: torch, ONNX Runtime
# and numpy's BLAS use that many threads); tests sharing a trained model run in one process (tests/conftest.py).
# Serially, with every core: make test TEST_ARGS= TEST_ENV=
TEST_ARGS ?= -n 2 --dist loadgroup
TEST_ENV ?= OMP_NUM_THREADS=1

.PHONY: setup test demo lint typecheck clean browser webchat rasa-sdk-env rasa-oracle-env services services-down

setup: $(STAMP)

# A separate virtualenv for the rasa-sdk action server the Rasa-compatibility tests start
# (rasa-sdk pins its own sanic/pydantic/protobuf; dialogkit itself never imports it).
RASA_SDK_VENV := .venv-rasa-sdk
RASA_SDK_STAMP := $(RASA_SDK_VENV)/.installed
rasa-sdk-env: $(RASA_SDK_STAMP)

$(RASA_SDK_STAMP): tests/rasa/action_server/requirements.txt
	$(PYTHON) -m venv $(RASA_SDK_VENV)
	$(RASA_SDK_VENV)/bin/pip install --quiet --upgrade pip
	$(RASA_SDK_VENV)/bin/pip install --quiet -r tests/rasa/action_server/requirements.txt
	touch $(RASA_SDK_STAMP)

# Rasa Open Source itself, the reference the oracle bench compares with (never used by make test):
# Rasa 3.6 needs Python < 3.11, so its venv is made with pyenv's 3.10 and cached under .cache/.
RASA_PYTHON ?= $(shell pyenv root 2>/dev/null)/versions/3.10.13/bin/python
RASA_VENV := .cache/rasa-3.6.21
RASA_STAMP := $(RASA_VENV)/.installed
rasa-oracle-env: $(RASA_STAMP)

$(RASA_STAMP):
	$(RASA_PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --upgrade 'pip<24.1'
	$(RASA_VENV)/bin/pip install --quiet rasa==3.6.21
	touch $(RASA_STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Redis and PostgreSQL (Debian packages) on 127.0.0.1 for the store tests and bench-scale.
services:
	.ci/services.sh up

services-down:
	.ci/services.sh down

# With the services' settings exported, and required: no store test is skipped.
test: setup rasa-sdk-env services
	set -a && . ./.services/env && set +a && DIALOGKIT_REQUIRE_SERVICES=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(TEST_ENV) $(BIN)/python -m pytest $(TEST_ARGS)

demo: setup
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/dialogkit validate domains/restaurant
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/dialogkit train domains/restaurant --out models/restaurant
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/dialogkit shell models/restaurant --script domains/restaurant/demo.txt

# Debian's Chromium for the browser tests (skipped when it is missing), and the Rasa chat widget
# they hold a conversation with over socket.io.
browser: webchat
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

# rasa-webchat, a published Rasa-compatible chat widget, from the npm registry (npm checks the
# package's integrity): its standalone bundle, for tests/framework/test_webchat.py.
WEBCHAT_VERSION := 1.0.1
WEBCHAT := .cache/webchat/rasa-webchat-$(WEBCHAT_VERSION).js
webchat: $(WEBCHAT)

$(WEBCHAT):
	mkdir -p .cache/webchat
	cd .cache/webchat && npm pack --silent rasa-webchat@$(WEBCHAT_VERSION) >/dev/null \
	  && tar -xzf rasa-webchat-$(WEBCHAT_VERSION).tgz package/lib/index.js \
	  && mv package/lib/index.js rasa-webchat-$(WEBCHAT_VERSION).js && rm -rf package rasa-webchat-$(WEBCHAT_VERSION).tgz

lint: setup typecheck
	$(BIN)/ruff check dialogkit framework components tests bench

# mypy over the dialogkit package as installed: dialogkit/framework and dialogkit/components are
# links to the top-level folders, so every dialogkit.* import resolves to these files.
# The core (the running bot, what a bot is, the stores, building a bot, the DM) also passes --strict.
typecheck: setup
	$(BIN)/mypy --config-file pyproject.toml -p dialogkit
	$(BIN)/mypy --config-file pyproject.toml --strict -p dialogkit.framework.runtime -p dialogkit.framework.domain \
	  -p dialogkit.framework.stores -p dialogkit.framework.build -p dialogkit.components.dm

clean:
	rm -rf models .pytest_cache

.PHONY: bench bench-foundation bench-dm bench-dm-ab bench-nlu bench-latency bench-serve bench-nlg bench-nlg-small bench-nlu-bots bench-fewshot bench-typos bench-answers bench-rasa-typos bench-zh-slips bench-duckling bench-finetune bench-init bench-rasa bench-rasa-replay bench-rasa-oracle bench-rasa-live bench-rasa-nlu bench-scale
bench: bench-foundation bench-dm bench-nlu bench-nlu-bots bench-fewshot bench-typos bench-answers bench-finetune bench-latency bench-serve bench-nlg bench-nlg-small bench-init bench-rasa bench-rasa-replay bench-scale

bench-foundation: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_foundation.py

bench-dm: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_dm.py

# The DM before and after a change, in turns (A/B): make bench-dm-ab BASE=<git revision>
BASE ?= HEAD~1
bench-dm-ab: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_dm_ab.py --base $(BASE)

bench-nlu: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_nlu.py

bench-init: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_init.py

bench-nlu-bots: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_nlu_bots.py

bench-fewshot: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_fewshot.py

bench-typos: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_typos.py

bench-answers: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_answers.py

# typo'd entity values in the public Rasa projects of ../shared/rasa-examples (no torch; seconds)
RASA_EXAMPLES ?= ../shared/rasa-examples
bench-rasa-typos: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_rasa_typos.py --rasa-examples $(RASA_EXAMPLES)

# Chinese NLU files not written for the speller (Rasa JSON/YAML or a message per line, outside the checkout)
ZH_CORPORA ?=
bench-zh-slips: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_zh_slips.py $(ZH_CORPORA)

# builtin_entities against Duckling's own test corpus, read from a snapshot of facebook/duckling
# outside the repository: make bench-duckling DUCKLING=<its git directory or checkout>
DUCKLING ?= /work/.mirror/facebook+duckling/repo
bench-duckling: setup
	$(BIN)/python bench/bench_duckling.py --duckling $(DUCKLING)

bench-finetune: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_finetune.py

bench-latency: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_latency.py

bench-serve: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_serve.py

bench-nlg: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_nlg.py

bench-nlg-small: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_nlg_small.py

bench-rasa: setup rasa-sdk-env
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_rasa.py

# Public Rasa projects (../shared/rasa-examples/rasa2 by default) imported unedited and replayed
bench-rasa-replay: setup
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_rasa_replay.py

# Rasa 3.6.21 as the oracle (not in `make bench`: it trains every corpus project with Rasa, ~1 h
# the first time, cached after): the public projects of bench/rasa_corpus.py, exported outside the
# checkout from their snapshots, and ../shared/rasa-examples. make bench-rasa-oracle CORPUS=<dir>
CORPUS ?= ../rasa-corpus
# Rasa's DIET by cross-validation on the example bots: the reference for bench-nlu-bots (jieba for
# Rasa's JiebaTokenizer on the Chinese bot; not in `make bench`: Rasa trains 5 folds of 3 bots)
bench-rasa-nlu: setup rasa-oracle-env
	$(RASA_VENV)/bin/pip install --quiet jieba==0.42.1
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_rasa_nlu.py

bench-rasa-oracle: setup rasa-oracle-env
	$(BIN)/python bench/rasa_corpus.py --out $(CORPUS)
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_rasa_oracle.py --corpus $(CORPUS)

# The same corpus end to end and live: `rasa run` with each project's action server against
# `dialogkit test --e2e` (not in `make bench`: Rasa trains every project in full, cached after)
bench-rasa-live: setup rasa-oracle-env rasa-sdk-env
	$(BIN)/python bench/rasa_corpus.py --out $(CORPUS)
	HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_rasa_live.py --corpus $(CORPUS)

bench-scale: setup services
	set -a && . ./.services/env && set +a && HF_HUB_OFFLINE=1 $(BIN)/python bench/bench_scale.py
