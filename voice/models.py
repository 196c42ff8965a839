"""The voice of the customer: each comment's language, masked text, sentiment and themes, the organization's theme
taxonomy (theme -> sub-theme, keywords and example phrases per language, a mapping to a root cause), proposals from
theme discovery, background runs with progress, monthly theme statistics (a rollup the insight pages read) and the
root cause suggested to a case.

A comment is an Answer with text. Its analysis is one CommentAnalysis row (the answer's primary key), created
`pending` inside the drain's transaction and filled in by a Celery worker; nothing about it blocks a submission.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, OrgOwned, OrgQuerySet

LANGUAGES = ("sv", "nb", "da", "en")  # analysed languages; anything else is "other"


class Language(models.TextChoices):
    SWEDISH = "sv", _("Swedish")
    NORWEGIAN = "nb", _("Norwegian")
    DANISH = "da", _("Danish")
    ENGLISH = "en", _("English")
    OTHER = "other", _("Other language")


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    MIXED = "mixed", _("Mixed")
    NEGATIVE = "negative", _("Negative")


class Taxonomy(models.Model):
    """One per organization: the version counter of its theme taxonomy. Every change to a theme bumps it; a comment
    tagged with an older version is re-tagged in the background."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+", primary_key=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"taxonomy v{self.version} of organization {self.organization_id}"


class ThemeQuerySet(OrgQuerySet):
    def active(self) -> ThemeQuerySet:
        return self.filter(status=Theme.Status.ACTIVE)


class Theme(OrgOwned):
    """A theme (parent empty) or a sub-theme. Keywords and example phrases are per language ({"sv": [...], ...})
    and are matched on lemmas, so "fakturan", "fakturaen", "regningen" and "the invoice" meet their theme."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    class Origin(models.TextChoices):
        STARTER = "starter", _("Starter taxonomy")
        MANUAL = "manual", _("Added by hand")
        DISCOVERED = "discovered", _("Discovered")

    parent = models.ForeignKey(
        "self", verbose_name=_("parent theme"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(_("name"), max_length=120)
    # The name in each language the organization reads ({"sv": "Faktura", "en": "Invoice"}); `name` is the fallback.
    labels = models.JSONField(_("name per language"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    keywords = models.JSONField(_("keywords"), default=dict, blank=True, help_text=_("Per language: words or phrases."))
    examples = models.JSONField(_("example phrases"), default=dict, blank=True)
    root_cause = models.ForeignKey(
        "actions.RootCause",
        verbose_name=_("suggested root cause"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    origin = models.CharField(_("origin"), max_length=12, choices=Origin.choices, default=Origin.MANUAL)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ThemeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name", "pk"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        constraints = [
            models.UniqueConstraint(fields=["organization", "parent", "name"], name="theme_unique_name"),
            models.UniqueConstraint(
                fields=["organization", "name"], condition=models.Q(parent__isnull=True), name="theme_unique_top_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AnalysisQuerySet(OrgQuerySet):
    def done(self) -> AnalysisQuerySet:
        return self.filter(status=CommentAnalysis.Status.DONE)


class CommentAnalysis(OrgOwned):
    """The analysis of one comment (an Answer with text). Denormalised (touchpoint, journey, customer, month, score)
    so the insight pages and statistics read one table."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for analysis")
        DONE = "done", _("Analysed")

    answer = models.OneToOneField(
        "surveys.Answer", primary_key=True, on_delete=models.CASCADE, related_name="analysis", db_constraint=False
    )
    # The foreign keys below are copies of the answer's and response's (which have the constraints): not checked
    # again for every analysed comment (0.15-0.25 s per 5,000 at commit), as for surveys.Answer. Django still
    # cascades and sets NULL on delete.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    response = models.ForeignKey("surveys.Response", on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    journey = models.ForeignKey(
        "journeys.Journey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    customer = models.ForeignKey(
        # Indexed: erasing a customer finds their analyses without reading the table.
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    submitted_on = models.DateField()
    month = models.DateField()  # the first day of submitted_on's month
    # The response's score the theme impact is measured on: NPS (0-10) when the response has one, else CSAT, else
    # CES; `metric` says which ("" when the response has no score).
    metric = models.CharField(max_length=10, blank=True)
    score = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, blank=True)
    masked_text = models.TextField(_("comment (personal data masked)"), blank=True)
    has_personal_data = models.BooleanField(_("personal data masked"), default=False)
    sentiment = models.FloatField(_("sentiment"), null=True, blank=True)  # -1 (negative) to 1 (positive)
    sentiment_label = models.CharField(_("sentiment"), max_length=8, choices=Sentiment.choices, blank=True)
    # [{"text": masked sentence, "sentiment": float, "label": str, "drivers": [[word, valence], ...]}, ...]
    sentences = models.JSONField(default=list, blank=True)
    # The words that drove the comment's sentiment, strongest first: [[word, valence], ...]
    drivers = models.JSONField(default=list, blank=True)
    themes = models.ManyToManyField(Theme, through="CommentTheme", related_name="comments", blank=True)
    taxonomy_version = models.PositiveIntegerField(default=0)
    # PostgreSQL full-text vector of masked_text in the comment's language's configuration (NULL on SQLite).
    search = SearchVectorField(null=True, blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AnalysisQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment analysis")
        verbose_name_plural = _("comment analyses")
        indexes = [
            models.Index(fields=["organization", "month", "touchpoint"], name="voice_ca_org_month_tp"),
            models.Index(fields=["response"], name="voice_ca_response"),
            # Newest analysed comments first (the explorer, a theme's latest comments): a backward scan that stops
            # after a page, whatever the number of comments.
            models.Index(
                fields=["organization", "-submitted_on", "-answer"],
                condition=models.Q(status="done"),
                name="voice_ca_org_newest",
            ),
            models.Index(
                fields=["organization", "created_at"],
                condition=models.Q(status="pending"),
                name="voice_ca_pending",
            ),
        ]
        # The GIN index on `search` is created by migration 0002 on PostgreSQL only.


class CommentTheme(OrgOwned):
    """A theme found in a comment, with the terms that matched and the sentiment of the sentences that mention it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    analysis = models.ForeignKey(CommentAnalysis, on_delete=models.CASCADE, related_name="theme_links")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="comment_links")
    matched = models.JSONField(default=list, blank=True)
    sentiment = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["analysis", "theme"], name="commenttheme_unique")]
        indexes = [models.Index(fields=["theme", "analysis"], name="voice_ct_theme")]


class ThemeStat(models.Model):
    """Monthly rollup, recomputed from the analyses for each (organization, month) touched: one row per (theme,
    touchpoint, language, metric). theme_key 0 is "every analysed comment" (the base of shares and of the impact);
    touchpoint_key/journey_key 0 mean none. Sums of the score and of its square give means and variances (Welch)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    theme_key = models.IntegerField()
    touchpoint_key = models.IntegerField(default=0)
    journey_key = models.IntegerField(default=0)
    language = models.CharField(max_length=5)
    metric = models.CharField(max_length=10, blank=True)
    comments = models.IntegerField(default=0)
    scored = models.IntegerField(default=0)
    score_sum = models.FloatField(default=0)
    score_sumsq = models.FloatField(default=0)
    # NPS only: promoters (9-10) and detractors (0-6) among the scored comments, for NPS with and without a theme.
    promoters = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)
    positive = models.IntegerField(default=0)
    negative = models.IntegerField(default=0)
    mixed = models.IntegerField(default=0)
    sentiment_sum = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month", "theme_key", "touchpoint_key", "journey_key", "language", "metric"],
                name="themestat_unique_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} theme {self.theme_key} touchpoint {self.touchpoint_key}: {self.comments}"


class StatDirty(models.Model):
    """An (organization, month) whose ThemeStat rows must be recomputed (marked by analysis and re-tagging, claimed
    and cleared by the statistics task; idempotent)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "month"], name="statdirty_unique_key")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.month:%Y-%m}"


class ThemeProposal(OrgOwned):
    """A theme proposed by discovery from comments no theme covers; a CX manager accepts (optionally renamed),
    merges it into an existing theme, or rejects it. Rejected terms are not proposed again."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        MERGED = "merged", _("Merged")
        REJECTED = "rejected", _("Rejected")

    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    label = models.CharField(_("suggested name"), max_length=120)
    terms = models.JSONField(_("top terms"), default=list)
    # Answer ids (CommentAnalysis pks) of the comments that best represent the proposal.
    example_ids = models.JSONField(default=list)
    size = models.PositiveIntegerField(_("comments"), default=0)
    coherence = models.FloatField(default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    run = models.ForeignKey("VoiceRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-size", "pk"]
        verbose_name = _("theme proposal")
        verbose_name_plural = _("theme proposals")


class VoiceRun(OrgOwned):
    """A background run with progress: re-tagging after a taxonomy change, or theme discovery."""

    class Kind(models.TextChoices):
        RETAG = "retag", _("Re-tagging comments")
        DISCOVER = "discover", _("Theme discovery")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    taxonomy_version = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else int(100 * self.done / self.total) if self.total else 0


class CaseSuggestion(OrgOwned):
    """The root cause suggested to a case from its comment's themes (the theme -> root-cause mapping), and what
    frontline did with it: confirmed it, or chose another root cause. Confirmed / decided is the accuracy."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Not yet decided")
        CONFIRMED = "confirmed", _("Confirmed")
        CHANGED = "changed", _("Changed")

    case = models.OneToOneField("actions.FeedbackCase", on_delete=models.CASCADE, related_name="voice_suggestion")
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    root_cause = models.ForeignKey(
        "actions.RootCause", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
