from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "voice"
    verbose_name = "Voice of the customer (comment language, masking, sentiment, themes)"

    def ready(self) -> None:
        from voice import receivers  # noqa: F401  (connects the signal receivers)
