import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxplatform.settings")
application = get_wsgi_application()

from cxplatform.startup import warm_and_freeze  # noqa: E402 (needs the app registry set up above)

warm_and_freeze()
