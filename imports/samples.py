import csv
import io

from imports.registry import ImportHandler


def sample_csv_content(handler: ImportHandler) -> str:
    """The header and the handler's example rows, comma-separated, with a BOM so Excel reads it as UTF-8.

    Only the fields the examples use: alternatives such as first and last name instead of the name stay out."""
    out = io.StringIO()
    names = [c.name for c in handler.columns if any(c.name in row for row in handler.sample_rows)]
    writer = csv.writer(out)
    writer.writerow(names)
    for row in handler.sample_rows:
        writer.writerow([row.get(name, "") for name in names])
    return "\ufeff" + out.getvalue()
