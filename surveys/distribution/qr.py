"""QR codes for survey links (segno: pure Python, SVG and PNG without Pillow)."""

from __future__ import annotations

import io

import segno


def qr_image(url: str, *, kind: str) -> bytes:
    """The QR code of `url` as SVG or PNG bytes; error level M survives a smudged print."""
    qr = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    if kind == "svg":
        qr.save(buffer, kind="svg", scale=8, border=4, xmldecl=True, svgns=True, title="QR")
    elif kind == "png":
        qr.save(buffer, kind="png", scale=10, border=4)
    else:
        raise ValueError(kind)
    return buffer.getvalue()
