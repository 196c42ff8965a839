from django.apps import AppConfig


class ValueConfig(AppConfig):
    name = "value"
    verbose_name = "Value model (revenue and churn)"
