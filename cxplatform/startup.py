"""Start-up of a long-lived web process: import everything a request may need, then take it out of the GC's sight.

Django, DRF, pandas and plotly leave a few hundred thousand objects that live as long as the process. Python's
cyclic collector scans all of them at every full collection, which lands on whatever request happens to allocate
at that moment: a 30-50 ms pause on a dashboard (p95 151 -> 119 ms on the 10 M benchmark's segment page).
`gc.freeze()` moves them to a permanent generation the collector skips; later garbage is collected as usual.
"""

from __future__ import annotations

import gc


def warm_and_freeze() -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module, and with them plotly and pandas)
    import kpis.charts  # noqa: F401 (the charts' plotly import happens inside the module)

    gc.collect()
    gc.freeze()
