.PHONY: demo test lint fmt migrate seed worker beat bench messages

demo:            ## set up and run the demo on http://127.0.0.1:8000
	bash scripts/demo.sh

test:            ## the whole test suite on PostgreSQL + Redis
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

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

messages:
	.venv/bin/python manage.py makemessages -l sv -l nb -l da --ignore=.venv && .venv/bin/python manage.py compilemessages --ignore=.venv
