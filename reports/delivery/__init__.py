"""Delivery of the monthly report: the PDF, the subscribers' e-mails, subscriptions, the PDF over the API.

- `charts.py`: the report's plotly figures as SVG (kaleido, one browser session per report);
- `pdf.py`: `render_report_pdf(report, language=) -> bytes` (WeasyPrint, A4, page numbers);
- `selectors.py` / `services.py`: who subscribes, the PDF cache, the delivery rows, their claim and the sweep;
- `tasks.py` / `periodic.py`: the Celery tasks (ids only) and the sweep's schedule;
- `views.py` / `api.py`: the PDF download, the subscription pages, the PDF over the API.
"""
