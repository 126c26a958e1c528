# Mosia: build, tools, tests, benchmarks, and the local AWS emulator.
# `make test` is what CI runs (through .ci/run).

SHELL := /bin/bash
CARGO ?= cargo
EMULATOR_PORT ?= 4566

.PHONY: tools build test test-modules test-localstack release bench chaos dev dev-destroy plan apply destroy emulator emulator-stop fmt

## The main job: dev environment on the embedded emulator (tools, build, emulator,
## state backend, remote state, apply, outputs).
dev:
	@bash scripts/dev.sh up

dev-destroy:
	@bash scripts/dev.sh down

## Real AWS, with your AWS credentials and your state bucket (billable!):
##   make plan|apply|destroy ENV=dev|staging|production [BACKEND_CONFIG=FILE] [AUTO_APPROVE=1]
## Needs environments/ENV/backend.hcl (or BACKEND_CONFIG); apply and destroy show the
## estimated monthly cost and ask first. See README.md, "Real AWS".
plan apply destroy:
	@BACKEND_CONFIG="$(BACKEND_CONFIG)" AUTO_APPROVE="$(AUTO_APPROVE)" bash scripts/env.sh $@ "$(ENV)"

## Install Terraform 1.15.5 + 1.0.3, moto and the Go null provider into .tools/ (idempotent).
tools:
	@bash scripts/install-tools.sh

## Build the provider (debug, as the tests use it).
build:
	$(CARGO) build -p terraform-provider-mosia

## Everything: unit, property, protocol, emulator and acceptance tests on every Terraform core,
## then `test-localstack` (skipped, saying so, when no Python >= 3.13 is found).
test: tools
	@bash scripts/run-tests.sh

## Registry-format release archives, checksums, signature and provider mirrors in dist/
## (scripts/release.sh): make release VERSION=0.1.0 GPG_KEY_ID=...
release:
	@bash scripts/release.sh $(VERSION)

## The modules' `terraform test` files (modules/*/tests/*.tftest.hcl) on Terraform 1.15.5, with
## the emulator for the one real apply; `make test` runs them too.
test-modules: tools
	cargo nextest run -p mosia-acceptance-tests --test module_terraform_test

## The acceptance tests that need only S3, STS, IAM, EC2, Secrets Manager and KMS (state
## backend with S3 lock files on the three cores, bootstrap, assume_role, network and IAM
## parts) against a real LocalStack: installs localstack-core 2026.3.0 into
## .tools/localstack-venv (needs Python >= 3.13), starts it on a free 127.0.0.1 port, runs
## them with AWS_ENDPOINT_URL pointing at it, stops it. Extra nextest arguments: ARGS=...
test-localstack: tools
	@bash scripts/localstack.sh test $(ARGS)

## Start-to-handshake time and peak RSS, side by side with the Go null provider; one
## environment's apply against its critical path; 20 environments against one (plan,
## refresh, AWS calls per environment, the provider's peak RSS).
bench: tools
	$(CARGO) build --release -p terraform-provider-mosia
	$(CARGO) run -q -p terraform-provider-mosia --example startup_bench -- \
		$${CARGO_TARGET_DIR:-target}/release/terraform-provider-mosia .tools/null-provider/terraform-provider-null_v2.1.2_x4
	$(CARGO) build -q -p terraform-provider-mosia
	$(CARGO) run -q -p mosia-acceptance-tests --example environment_bench
	MOSIA_PROVIDER_BINARY="$$(realpath $${CARGO_TARGET_DIR:-target}/release/terraform-provider-mosia)" \
		$(CARGO) run -q -p mosia-acceptance-tests --example scale_bench

## Reliability figures of one full environment on the emulator's `lifecycle` profile:
## CHAOS_TRIALS kill -9, fault-storm and Ctrl-C trials each (default 5; a trial takes about
## 20 s here, a storm up to 80 s; 5 of each 5-7 minutes, 20 of each about 25), N/N, 0 duplicates and
## 0 orphans expected; CHAOS_SEED=N replays the same random moments and storms,
## CHAOS_KINDS=kill,storm,ctrl-c picks kinds, CHAOS_KEEP_LOGS=1 keeps every trial's logs.
chaos: tools
	$(CARGO) build -q -p terraform-provider-mosia
	$(CARGO) run -q -p mosia-acceptance-tests --example chaos_bench

## Start the emulator in the background on 127.0.0.1:$(EMULATOR_PORT); prints AWS_ENDPOINT_URL.
emulator: tools
	@EMULATOR_PORT=$(EMULATOR_PORT) bash scripts/emulator.sh start

emulator-stop:
	@bash scripts/emulator.sh stop

fmt:
	$(CARGO) fmt --all

## Regenerate the Registry docs (docs/index.md, docs/resources/, docs/data-sources/) from the
## schemas, with examples from docs/examples/; the docs test fails when they are out of date.
.PHONY: docs
docs:
	$(CARGO) run -q -p terraform-provider-mosia --example gen_docs
