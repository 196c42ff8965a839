"""The report's plotly figures as SVG for the PDF, drawn by kaleido in the system Chromium.

Starting the browser is the slow part (about 1.5 s; each figure then takes about 0.1 s), so every chart of a report is
drawn in one kaleido session. A figure that cannot be drawn (bad figure, no browser, timeout) comes back as None:
the PDF then says so in a line of text instead of failing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import threading
from typing import Any

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 680, 300  # CSS pixels; the SVG scales to the column width of an A4 page
RENDER_TIMEOUT = 30  # seconds per figure


def browser_path() -> str | None:
    return os.environ.get("BROWSER_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


async def _draw_all(figures: dict[str, dict[str, Any]]) -> dict[str, str | None]:
    import kaleido

    out: dict[str, str | None] = {}
    async with kaleido.Kaleido(n=1, timeout=RENDER_TIMEOUT, mathjax=False, path=browser_path()) as session:
        for name, figure in figures.items():
            layout = figure.get("layout") or {}
            opts = {"format": "svg", "width": layout.get("width") or WIDTH, "height": layout.get("height") or HEIGHT}
            try:
                svg = await session.calc_fig(figure, opts=opts)
            except Exception:  # one bad chart must not cost the whole PDF
                logger.warning("chart %s could not be drawn", name, exc_info=True)
                out[name] = None
            else:
                out[name] = svg.decode() if isinstance(svg, bytes) else str(svg)
    return out


def _run(make_coroutine):
    """Run a coroutine to completion from sync code, also when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    # An event loop runs in this thread (an async caller, Playwright's sync API): use a thread of our own.
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(make_coroutine())
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="report-charts")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def charts_to_svg(figures: dict[str, dict[str, Any]]) -> dict[str, str | None]:
    """Return {name: SVG text, or None when that figure could not be drawn}, every figure in one browser session."""
    usable = {name: fig for name, fig in figures.items() if isinstance(fig, dict) and fig.get("data") is not None}
    result: dict[str, str | None] = {name: None for name in figures}
    if not usable:
        return result
    try:
        result.update(_run(lambda: _draw_all(usable)))
    except Exception:  # no browser, or it died: every chart becomes a line of text
        logger.warning("kaleido could not start; the PDF is made without charts", exc_info=True)
    return result
