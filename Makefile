.PHONY: demo test test-sqlite lint fmt migrate seed worker beat bench messages

demo:            ## set up and run the demo on http://127.0.0.1:8000
	bash scripts/demo.sh

test:            ## the whole test suite on PostgreSQL + Redis
	bash scripts/test.sh

test-sqlite:     ## the database-neutral tests (marked sqlite) on SQLite, tasks in-process, as the demo runs
	bash scripts/test_sqlite.sh

lint:            ## ruff, and mypy on the services, selectors and analytics modules (pyproject.toml [tool.mypy])
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

fmt:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

migrate:
	.venv/bin/python manage.py migrate

seed:
	.venv/bin/python manage.py seed_demo

worker:          ## a Celery worker (needs CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0)
	.venv/bin/celery -A cxplatform worker -l info

beat:
	.venv/bin/celery -A cxplatform beat -l info

BENCH_DB ?= postgres://postgres@127.0.0.1:5432/cx_bench

bench:           ## benchmarks that print figures (PostgreSQL; see README "Benchmark figures")
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py migrate -v0
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_customer_import --rows 100000
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_response_import --rows 1000000
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_response_import --wide --rows 100000 --ratings 10
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_submissions --clients 20 --seconds 20
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_submissions --clients 20 --seconds 20 --endpoint api --no-worker
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_submissions --in-process 1000
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_kpis --responses 1000000
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_kpis --responses 1000000 --reuse --follow-up 100000 --only-follow-up
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_report --requests 100
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_value_model --customers 130000
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_voice --comments 1000000
	DATABASE_URL=$(BENCH_DB) .venv/bin/python manage.py bench_program --responses 1000000

messages:
	.venv/bin/python manage.py makemessages -l sv -l nb -l da --ignore=.venv --ignore=tests --ignore=demo --no-obsolete && .venv/bin/python manage.py compilemessages --ignore=.venv
