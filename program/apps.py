from django.apps import AppConfig


class ProgramConfig(AppConfig):
    name = "program"
    verbose_name = "CX program (health on four stages, perception gap, compound failures, you said / we did)"

    def ready(self) -> None:
        from program import receivers  # noqa: F401  (connect the signal receivers)
