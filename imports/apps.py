from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        # Each app declares its import handlers in `<app>/importers.py` (see imports.registry).
        autodiscover_modules("importers")
