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


def charts_to_svg(figures: dict[str, dict[str, Any]]) -> dict[str, str | None]:
    """Return {name: SVG text, or None when that figure could not be drawn}, every figure in one browser session."""
    usable = {name: fig for name, fig in figures.items() if isinstance(fig, dict) and fig.get("data") is not None}
    result: dict[str, str | None] = {name: None for name in figures}
    if not usable:
        return result
    try:
        result.update(asyncio.run(_draw_all(usable)))
    except Exception:  # no browser, or it died: every chart becomes a line of text
        logger.warning("kaleido could not start; the PDF is made without charts", exc_info=True)
    return result
