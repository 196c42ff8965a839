from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "voice"
    verbose_name = "Voice of the customer (comment language, masking, sentiment, themes)"

    def ready(self) -> None:
        from voice import receivers, signals_loop  # noqa: F401  (connect the signal receivers)
