import csv
import io

from imports.registry import ImportHandler


def sample_csv_content(handler: ImportHandler) -> str:
    """The header and the handler's example rows, comma-separated, with a BOM so Excel reads it as UTF-8."""
    out = io.StringIO()
    names = [c.name for c in handler.columns]
    writer = csv.writer(out)
    writer.writerow(names)
    for row in handler.sample_rows:
        writer.writerow([row.get(name, "") for name in names])
    return "\ufeff" + out.getvalue()
