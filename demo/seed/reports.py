"""Demo step: the monthly executive report of the last two complete months, as the CX manager generated them.

Made on demand (not by the schedule), so the demo sends no report e-mails while it seeds; each version stores its
figures, its page and (when WeasyPrint and Chromium are there) its PDF, exactly as a generated report does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reports.figures import add_months, month_start
from reports.models import MonthlyReport
from reports.services import report_generate

if TYPE_CHECKING:
    from demo.seed import SeedContext


def seed(sc: SeedContext) -> None:
    org = sc.organization
    this_month = month_start(sc.today)
    for back in (2, 1):
        report = report_generate(
            organization=org,
            month=add_months(this_month, -back),
            trigger=MonthlyReport.Trigger.ON_DEMAND,
            user=sc.users.get("cx"),
        )
        has_pdf = MonthlyReport.objects.filter(pk=report.pk, pdf__isnull=False).exists()
        sc.log(f"  monthly report {report.month:%Y-%m}: {report.status}{', PDF stored' if has_pdf else ''}")
