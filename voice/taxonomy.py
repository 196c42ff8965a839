"""The organization's theme taxonomy: the compiled matcher the analysis uses, its version, and the writes of CX
managers and admins (themes, decisions on discovered proposals, starting a discovery run).

Every change that can change which comments a theme matches (keywords, examples, parent, status) bumps
Taxonomy.version and queues a re-tagging run; comments tagged with an older version are tagged again in the
background. A rename or a new root cause changes no tag and bumps nothing. Anything that writes Theme rows by other
means must call `bump_version` too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from actions.policies import actor
from audit import actions as audit_actions
from audit.services import audit_changes, audit_record, audit_snapshot
from core.tasks import enqueue_coalesced
from voice.models import LANGUAGES, Taxonomy, Theme, ThemeProposal, VoiceRun

# Theme fields that decide what a theme matches: changing one re-tags the comments.
MATCHING_FIELDS = frozenset({"keywords", "examples", "parent", "status"})
EDITABLE_FIELDS = frozenset(
    {"name", "parent", "labels", "keywords", "examples", "description", "root_cause", "position", "status"}
)
AUDIT_FIELDS = sorted(EDITABLE_FIELDS)
PROPOSAL_TERMS = 6  # the top terms of a proposal that become keywords
CACHE_SIZE = 256

# Audit verbs (listed in audit.actions when they settle).
THEME_CREATE = audit_actions.THEME_CREATE
THEME_CHANGE = audit_actions.THEME_CHANGE
THEME_ARCHIVE = audit_actions.THEME_ARCHIVE
PROPOSAL_ACCEPT = audit_actions.THEME_PROPOSAL_ACCEPT
PROPOSAL_MERGE = audit_actions.THEME_PROPOSAL_MERGE
PROPOSAL_REJECT = audit_actions.THEME_PROPOSAL_REJECT
DISCOVERY_START = audit_actions.THEME_DISCOVERY_START

_compiled: OrderedDict[tuple, Any] = OrderedDict()
_compiled_lock = threading.Lock()  # the analysis's writer threads share the cache


# -- the compiled taxonomy ----------------------------------------------------------------------------------------


def _ensure_taxonomy(organization_ids: list[int]) -> None:
    Taxonomy.objects.bulk_create(
        [Taxonomy(organization_id=pk) for pk in organization_ids], ignore_conflicts=True, batch_size=500
    )


def lock_versions(organization_ids: list[int]) -> None:
    """Share-lock the organizations' taxonomy rows until the transaction ends (PostgreSQL): a taxonomy change
    waits until comments being written with the current version are committed."""
    _ensure_taxonomy(organization_ids)
    if connection.vendor == "postgresql" and organization_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Taxonomy._meta.db_table} WHERE organization_id = ANY(%s) "  # noqa: S608
                "ORDER BY organization_id FOR SHARE",
                [sorted(organization_ids)],
            )


def _active_themes(organization_id: int):
    return Theme.objects.filter(organization_id=organization_id, status=Theme.Status.ACTIVE).filter(
        Q(parent__isnull=True) | Q(parent__status=Theme.Status.ACTIVE)
    )


def compiled_taxonomy(organization_id: int) -> tuple[int, Any]:
    """(version, CompiledTaxonomy) of the organization's active themes, cached per version in this process.

    The cache key also holds the themes' count and last change, so a theme written without a version bump is not
    matched with a stale compilation.
    """
    from voice.engine.themes import ThemeSpec, compile_taxonomy

    version = Taxonomy.objects.filter(pk=organization_id).values_list("version", flat=True).first() or 1
    themes = _active_themes(organization_id)
    fingerprint = themes.aggregate(n=Count("pk"), changed=Max("updated_at"))
    key = (organization_id, version, fingerprint["n"], fingerprint["changed"])
    with _compiled_lock:
        compiled = _compiled.get(key)
        if compiled is not None:
            _compiled.move_to_end(key)
    if compiled is None:
        specs = [
            ThemeSpec(id=pk, parent_id=parent_id, keywords=keywords or {}, examples=examples or {})
            for pk, parent_id, keywords, examples in themes.order_by("pk").values_list(
                "pk", "parent_id", "keywords", "examples"
            )
        ]
        compiled = compile_taxonomy(specs)
        with _compiled_lock:
            _compiled[key] = compiled
            while len(_compiled) > CACHE_SIZE:
                _compiled.popitem(last=False)
    return version, compiled


# -- versions and runs --------------------------------------------------------------------------------------------


def queue_run(run_id: int, kind: str, *, after_commit: bool = False) -> None:
    """Queue a run's task (now, or once the transaction commits); never raise (the sweep queues runs whose task
    was lost)."""
    from voice import tasks

    task = tasks.retag_task if kind == VoiceRun.Kind.RETAG else tasks.discover_task
    enqueue_coalesced(task, args=(run_id,), after_commit=after_commit)


def _queue_on_commit(run: VoiceRun) -> None:
    queue_run(run.pk, run.kind, after_commit=True)


def bump_version(organization_id: int, *, user=None) -> VoiceRun:
    """Increment the organization's taxonomy version and queue re-tagging (after the commit); return the run.

    A re-tagging run still queued (not started) is reused: it will tag with the newest version anyway.
    """
    with transaction.atomic():
        _ensure_taxonomy([organization_id])
        Taxonomy.objects.filter(pk=organization_id).update(version=F("version") + 1, updated_at=timezone.now())
        version = Taxonomy.objects.get(pk=organization_id).version
        run = (
            VoiceRun.objects.select_for_update()
            .filter(organization_id=organization_id, kind=VoiceRun.Kind.RETAG, status=VoiceRun.Status.QUEUED)
            .first()
        )
        if run is not None:
            run.taxonomy_version = version
            run.save(update_fields=["taxonomy_version"])
            return run
        run = VoiceRun.objects.create(
            organization_id=organization_id,
            kind=VoiceRun.Kind.RETAG,
            taxonomy_version=version,
            created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
        )
        _queue_on_commit(run)
    return run


# -- validation ---------------------------------------------------------------------------------------------------


def _require_edit(ctx: OrgContext) -> None:
    if not ctx.can_edit_program:
        raise PermissionDenied


def _normalise_terms(value: Any) -> dict[str, list[str]]:
    """{language: [terms]}: trimmed, lower-cased, duplicates and empties dropped; languages sv, nb, da, en only."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(_("The keywords must be given per language."))
    out: dict[str, list[str]] = {}
    for language, terms in value.items():
        if language not in LANGUAGES:
            raise ValidationError(
                _("Unknown language %(language)s: use sv, nb, da or en.") % {"language": str(language)[:10]}
            )
        if isinstance(terms, str):
            terms = [terms]
        seen: list[str] = []
        for term in terms or []:
            term = " ".join(str(term).split()).lower()
            if term and term not in seen:
                seen.append(term)
        if seen:
            out[language] = seen
    return out


def _normalise_examples(value: Any) -> dict[str, list[str]]:
    """{language: [phrases]}: trimmed, duplicates and empties dropped (case kept: they are shown as written)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(_("The example phrases must be given per language."))
    out: dict[str, list[str]] = {}
    for language, phrases in value.items():
        if language not in LANGUAGES:
            raise ValidationError(
                _("Unknown language %(language)s: use sv, nb, da or en.") % {"language": str(language)[:10]}
            )
        if isinstance(phrases, str):
            phrases = [phrases]
        kept: list[str] = []
        for phrase in phrases or []:
            phrase = " ".join(str(phrase).split())
            if phrase and phrase.casefold() not in {k.casefold() for k in kept}:
                kept.append(phrase)
        if kept:
            out[language] = kept
    return out


def _normalise_labels(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(_("The names must be given per language."))
    out = {}
    for language, label in value.items():
        if language not in LANGUAGES:
            raise ValidationError(
                _("Unknown language %(language)s: use sv, nb, da or en.") % {"language": str(language)[:10]}
            )
        label = " ".join(str(label or "").split())[:120]
        if label:
            out[language] = label
    return out


def _check_parent(ctx: OrgContext, theme: Theme | None, parent: Theme | None) -> None:
    if parent is None:
        return
    if parent.organization_id != ctx.org_id:
        raise ValidationError(_("Unknown parent theme."))
    if parent.parent_id is not None:
        raise ValidationError(_("A sub-theme cannot have sub-themes of its own: choose a main theme as the parent."))
    if theme is not None and theme.pk is not None:
        if parent.pk == theme.pk:
            raise ValidationError(_("A theme cannot sit under itself."))
        if theme.children.exists():
            raise ValidationError(_("This theme has sub-themes, so it cannot become a sub-theme itself."))


def _check_root_cause(ctx: OrgContext, root_cause) -> None:
    if root_cause is not None and root_cause.organization_id != ctx.org_id:
        raise ValidationError(_("Unknown root cause."))


def _save(theme: Theme) -> None:
    try:
        with transaction.atomic():
            theme.save()
    except IntegrityError:
        raise ValidationError(_("A theme with this name already exists at this level.")) from None


def _clean_fields(ctx: OrgContext, theme: Theme | None, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    clean = dict(fields)
    if "name" in clean:
        clean["name"] = " ".join(str(clean["name"] or "").split())
        if not clean["name"]:
            raise ValidationError(_("Give the theme a name."))
        if len(clean["name"]) > 120:
            raise ValidationError(_("The name is too long (at most 120 characters)."))
    if "keywords" in clean:
        clean["keywords"] = _normalise_terms(clean["keywords"])
    if "examples" in clean:
        clean["examples"] = _normalise_examples(clean["examples"])
    if "labels" in clean:
        clean["labels"] = _normalise_labels(clean["labels"])
    if "description" in clean:
        clean["description"] = (clean["description"] or "").strip()
    if "status" in clean and clean["status"] not in Theme.Status.values:
        raise ValidationError(_("Unknown status."))
    if "parent" in clean:
        _check_parent(ctx, theme, clean["parent"])
    if "root_cause" in clean:
        _check_root_cause(ctx, clean["root_cause"])
    return clean


# -- theme writes -------------------------------------------------------------------------------------------------


@transaction.atomic
def theme_create(
    ctx: OrgContext,
    *,
    name: str,
    parent: Theme | None = None,
    labels: dict | None = None,
    keywords: dict | None = None,
    examples: dict | None = None,
    description: str = "",
    root_cause=None,
    origin: str = Theme.Origin.MANUAL,
) -> Theme:
    """Create a theme (or, with a parent, a sub-theme) and re-tag the comments with it."""
    _require_edit(ctx)
    clean = _clean_fields(
        ctx,
        None,
        {
            "name": name,
            "parent": parent,
            "labels": labels,
            "keywords": keywords,
            "examples": examples,
            "description": description,
            "root_cause": root_cause,
        },
    )
    last = Theme.objects.filter(organization_id=ctx.org_id, parent=parent).aggregate(m=Max("position"))["m"]
    theme = Theme(organization=ctx.organization, origin=origin, created_by=actor(ctx), position=(last or 0) + 1)
    for attr, value in clean.items():
        setattr(theme, attr, value)
    _save(theme)
    audit_record(
        action=THEME_CREATE,
        ctx=ctx,
        target=theme,
        detail={"changes": audit_changes(None, audit_snapshot(theme, AUDIT_FIELDS))},
    )
    bump_version(ctx.org_id, user=actor(ctx))
    return theme


@transaction.atomic
def theme_update(ctx: OrgContext, theme: Theme, **fields: Any) -> Theme:
    """Change a theme; the comments are re-tagged when what it matches changed."""
    _require_edit(ctx)
    # NO KEY UPDATE: comments being analysed (foreign keys to the theme) are not blocked by the edit.
    theme = Theme.objects.select_for_update(no_key=True).get(pk=theme.pk, organization_id=ctx.org_id)
    clean = _clean_fields(ctx, theme, fields)
    before = audit_snapshot(theme, AUDIT_FIELDS)
    for attr, value in clean.items():
        setattr(theme, attr, value)
    _save(theme)
    changes = audit_changes(before, audit_snapshot(theme, AUDIT_FIELDS))
    if changes:
        audit_record(action=THEME_CHANGE, ctx=ctx, target=theme, detail={"changes": changes})
    if set(changes) & MATCHING_FIELDS:
        bump_version(ctx.org_id, user=actor(ctx))
    return theme


@transaction.atomic
def theme_archive(ctx: OrgContext, theme: Theme) -> Theme:
    """Archive a theme and its sub-themes: no comment is tagged with them from now on (re-tagging removes them)."""
    _require_edit(ctx)
    theme = Theme.objects.select_for_update(no_key=True).get(pk=theme.pk, organization_id=ctx.org_id)
    if theme.status == Theme.Status.ARCHIVED:
        return theme
    archived = list(
        Theme.objects.filter(Q(pk=theme.pk) | Q(parent_id=theme.pk), organization_id=ctx.org_id)
        .exclude(status=Theme.Status.ARCHIVED)
        .values_list("pk", flat=True)
    )
    Theme.objects.filter(pk__in=archived).update(status=Theme.Status.ARCHIVED, updated_at=timezone.now())
    theme.refresh_from_db()
    audit_record(action=THEME_ARCHIVE, ctx=ctx, target=theme, detail={"themes": archived})
    bump_version(ctx.org_id, user=actor(ctx))
    return theme


# -- proposals from discovery -------------------------------------------------------------------------------------


def _locked_proposal(ctx: OrgContext, proposal: ThemeProposal) -> ThemeProposal:
    _require_edit(ctx)
    locked = ThemeProposal.objects.select_for_update().filter(pk=proposal.pk, organization_id=ctx.org_id).first()
    if locked is None:
        if proposal.organization_id != ctx.org_id:
            raise ThemeProposal.DoesNotExist
        # A new discovery run replaced the undecided proposals meanwhile.
        raise ValidationError(_("This proposal was replaced by a newer theme discovery. Reload the page."))
    if locked.status != ThemeProposal.Status.PROPOSED:
        raise ValidationError(_("This proposal has already been decided."))
    return locked


def _decide(ctx: OrgContext, proposal: ThemeProposal, status: str, theme: Theme | None) -> None:
    proposal.status = status
    proposal.theme = theme
    proposal.decided_by = actor(ctx)
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "theme", "decided_by", "decided_at"])


@transaction.atomic
def proposal_accept(ctx: OrgContext, proposal: ThemeProposal, *, name: str, parent: Theme | None = None) -> Theme:
    """Make a proposal a theme of its own (origin: discovered), with its top terms as keywords.

    Customers' comments are not copied into the theme's example phrases: a theme is read by every role (frontline
    of any team, the API, the audit log), outlives comment retention and erasure, and masking cannot remove a name
    or an address from free text. The CX manager writes example phrases on the theme's form.
    """
    proposal = _locked_proposal(ctx, proposal)
    language = proposal.language
    theme = theme_create(
        ctx,
        name=name,
        parent=parent,
        labels={language: name} if language in LANGUAGES else {},
        keywords={language: list(proposal.terms or [])[:PROPOSAL_TERMS]},
        examples={},
        origin=Theme.Origin.DISCOVERED,
    )
    _decide(ctx, proposal, ThemeProposal.Status.ACCEPTED, theme)
    audit_record(
        action=PROPOSAL_ACCEPT, ctx=ctx, target=proposal, target_label=proposal.label, detail={"theme": theme.pk}
    )
    return theme


@transaction.atomic
def proposal_merge(ctx: OrgContext, proposal: ThemeProposal, theme: Theme) -> Theme:
    """Add a proposal's top terms to an existing theme's keywords in the proposal's language."""
    proposal = _locked_proposal(ctx, proposal)
    if theme.organization_id != ctx.org_id:
        raise ValidationError(_("Unknown theme."))
    theme = Theme.objects.select_for_update().get(pk=theme.pk)  # read its keywords as they are now
    keywords = dict(theme.keywords or {})
    keywords[proposal.language] = [*keywords.get(proposal.language, []), *list(proposal.terms or [])[:PROPOSAL_TERMS]]
    theme = theme_update(ctx, theme, keywords=keywords)
    _decide(ctx, proposal, ThemeProposal.Status.MERGED, theme)
    audit_record(
        action=PROPOSAL_MERGE, ctx=ctx, target=proposal, target_label=proposal.label, detail={"theme": theme.pk}
    )
    return theme


@transaction.atomic
def proposal_reject(ctx: OrgContext, proposal: ThemeProposal) -> ThemeProposal:
    """Reject a proposal: its terms are not proposed again."""
    proposal = _locked_proposal(ctx, proposal)
    _decide(ctx, proposal, ThemeProposal.Status.REJECTED, None)
    audit_record(action=PROPOSAL_REJECT, ctx=ctx, target=proposal, target_label=proposal.label)
    return proposal


@transaction.atomic
def discovery_start(ctx: OrgContext) -> VoiceRun:
    """Start theme discovery in the background; refused while one is queued or running."""
    _require_edit(ctx)
    _ensure_taxonomy([ctx.org_id])
    Taxonomy.objects.select_for_update().get(pk=ctx.org_id)  # one start at a time per organization
    if VoiceRun.objects.filter(
        organization_id=ctx.org_id,
        kind=VoiceRun.Kind.DISCOVER,
        status__in=[VoiceRun.Status.QUEUED, VoiceRun.Status.RUNNING],
    ).exists():
        raise ValidationError(_("Theme discovery is already running. Wait until it has finished."))
    run = VoiceRun.objects.create(organization_id=ctx.org_id, kind=VoiceRun.Kind.DISCOVER, created_by=actor(ctx))
    audit_record(action=DISCOVERY_START, ctx=ctx, target=run, target_label=f"theme discovery {run.pk}")
    _queue_on_commit(run)
    return run
