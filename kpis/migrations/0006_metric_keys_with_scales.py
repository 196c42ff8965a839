"""Metric keys carry their scale (core.scales) and staff surveys leave customer figures.

- Rating answers were stored under their question's code; now under `code:low-high` (a question whose scale changed
  between versions had both scales under one key).
- Answers to employee and leadership surveys lose their metric key: they never belonged in customer rollups.
- Every (touchpoint or journey, day) these answers touch is marked dirty, so the aggregation recomputes it;
  KPIs that named a rating by its code point at the new key.
"""

from django.db import migrations

STAFF_KINDS = ("employee", "leadership")


def _mark(Dirty, answers) -> None:
    keys = set()
    for org, tp, journey, day in answers.values_list(
        "organization_id", "touchpoint_id", "response__journey_id", "submitted_on"
    ).distinct():
        if tp is not None:
            keys.add((org, "t", tp, day))
        elif journey is not None:
            keys.add((org, "j", journey, day))
    Dirty.objects.bulk_create(
        [Dirty(organization_id=o, kind=k, key_id=i, day=d) for o, k, i, d in keys], ignore_conflicts=True
    )


def forwards(apps, schema_editor):
    from core.scales import metric_key, scale_for_question

    Question = apps.get_model("surveys", "Question")
    Answer = apps.get_model("surveys", "Answer")
    Dirty = apps.get_model("kpis", "DirtyRollup")
    Kpi = apps.get_model("kpis", "Kpi")

    staff = Answer.objects.filter(question__version__survey__kind__in=STAFF_KINDS).exclude(metric="")
    _mark(Dirty, staff)
    staff.update(metric="")

    renamed = {}
    ratings = Question.objects.filter(kind="rating").exclude(version__survey__kind__in=STAFF_KINDS)
    for q in ratings.order_by("version__number", "pk"):
        key = metric_key("rating", q.code, scale_for_question("rating", q.scale_min, q.scale_max))
        answers = Answer.objects.filter(question_id=q.pk).exclude(metric=key)
        if answers.exists():
            _mark(Dirty, answers)
            answers.update(metric=key)
        renamed[(q.organization_id, q.code)] = key  # the latest version's scale wins for KPIs
    for (org, code), key in renamed.items():
        Kpi.objects.filter(organization_id=org, kind="survey", metric=code).update(metric=key)


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0005_kpi_measure_alter_kpi_metric"),
        ("surveys", "0009_alter_question_kind"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
