"""The mapping step's reads of an uploaded file: the first rows, a sample of each column's values, and the
whole-file scale check that stops an import whose scale changed over time."""

from __future__ import annotations

from typing import Any

from accounts.scoping import OrgContext
from imports.models import ImportJob
from imports.readers import Preview, read_preview
from surveys.ingestion import selectors
from surveys.ingestion.importers import rules
from surveys.ingestion.importers.plan import SCORE_KIND_SET, normalize_mapping
from surveys.ingestion.importers.scan import SAMPLE_ROWS, Scan, detect_switch, monthly, scan_file
from surveys.models import Question, SurveyVersion


def first_rows(job: ImportJob, limit: int = 10) -> Preview:
    with job.file.open("rb") as fh:
        return read_preview(fh, job.original_name, limit=limit)


def sample(job: ImportJob) -> Scan:
    """Each column's values among the first rows (what the mapping page shows before anything is confirmed)."""
    width = len(job.options.get("header") or [])
    with job.file.open("rb") as fh:
        return scan_file(fh, job.original_name, columns=list(range(width)), limit=SAMPLE_ROWS)


def whole_file(
    *, ctx: OrgContext, job: ImportJob, version: SurveyVersion, mapping: dict[str, Any]
) -> tuple[Scan, dict[str, Any] | None]:
    """Scan every row of the mapped answer columns; the scale check (None: no change of scale over time)."""
    mapping = normalize_mapping(mapping)
    questions = {q.code: q for q in version.questions.all()}
    answers = [a for a in mapping["answers"] if a.get("question") in questions]
    scores = {
        a["column"]: rules.codes(a.get("na") or []) for a in answers if questions[a["question"]].kind in SCORE_KIND_SET
    }
    date_column = (mapping.get("columns") or {}).get("submitted_at")
    with job.file.open("rb") as fh:
        scan = scan_file(
            fh,
            job.original_name,
            # Free text is not counted: one distinct value per row, and nothing to check against a scale.
            columns=sorted({a["column"] for a in answers if questions[a["question"]].kind != Question.Kind.TEXT}),
            date_column=date_column,
            month_first=mapping.get("date_format") == "mdy",
            tz=job.organization.zone,
            scores=scores if date_column is not None else {},
        )
    switches = [s for c in scores if (s := detect_switch(c, scan.by_day.get(c) or {})) is not None]
    if not switches:
        return scan, None
    best = min(switches, key=lambda s: s.log_chance)
    header = list(job.options.get("header") or [])
    ranges = {
        str(c): [[day.isoformat(), min(counts), max(counts)] for day, counts in sorted(scan.by_day[c].items())]
        for c in scores
        if scan.by_day.get(c)
    }
    check = {
        "split_on": best.split_on.isoformat(),
        "switches": [
            {
                **s.as_dict(),
                "name": header[s.column] if s.column < len(header) else f"#{s.column + 1}",
                "months": [
                    {**m, "month": m["month"].isoformat(), "mean": round(m["mean"], 2)}
                    for m in monthly(scan.by_day[s.column])
                ],
            }
            for s in sorted(switches, key=lambda s: s.log_chance)
        ],
        "ranges": ranges,
        "suggested": _suggest(ctx, version, answers, ranges, best.split_on.isoformat()),
    }
    return scan, check


def _suggest(
    ctx: OrgContext, version: SurveyVersion, answers: list[dict], ranges: dict[str, list], split_on: str
) -> dict[str, int | None]:
    """For each side of the split, the version of this survey whose questions' scales fit its values most tightly."""
    candidates = list(
        selectors.import_version_choices(ctx=ctx).filter(survey_id=version.survey_id).prefetch_related("questions")
    )

    def width_if_fits(candidate: SurveyVersion, before: bool) -> int | None:
        questions = {q.code: q for q in candidate.questions.all()}
        width = 0
        for entry in answers:
            q = questions.get(entry["question"])
            if q is None:
                return None
            days = [(lo, hi) for day, lo, hi in ranges.get(str(entry["column"]), []) if (day < split_on) == before]
            if q.kind not in SCORE_KIND_SET or not days:
                continue
            low, high = q.scale
            if min(lo for lo, _hi in days) < low or max(hi for _lo, hi in days) > high:
                return None
            width += high - low
        return width

    suggested: dict[str, int | None] = {}
    widths: dict[str, int] = {}
    for side, before in (("before", True), ("after", False)):
        fitting = [(w, -c.number, c.pk) for c in candidates if (w := width_if_fits(c, before)) is not None]
        suggested[side], widths[side] = (min(fitting)[2], min(fitting)[0]) if fitting else (None, 0)
    if suggested["before"] == suggested["after"] is not None:
        # One version fits both parts only because its scale is the wider one: the narrower part has no version.
        suggested["before" if widths["before"] <= widths["after"] else "after"] = None
    return suggested
