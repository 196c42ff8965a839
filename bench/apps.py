from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark commands (`manage.py bench_*`): they print figures; nothing in the product imports them."""

    name = "bench"
    verbose_name = "Benchmarks"
