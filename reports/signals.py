"""Signals of the reports app.

`report_ready` is sent (after commit) when a report version's figures and page are stored (status READY), with
`report_id` and `trigger` (MonthlyReport.Trigger). Receivers render the PDF and, for a scheduled report, create and
send the subscribers' e-mails. A receiver must be idempotent: the signal can be sent again for the same report.
"""

from django.dispatch import Signal

report_ready = Signal()
