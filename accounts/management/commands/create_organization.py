"""Create an organization from the command line (the same service as the "New organization" page).

    CX_ADMIN_PASSWORD=... python manage.py create_organization --name "Nordlys AB" --currency SEK \\
        --timezone Europe/Stockholm --language sv --languages sv,en --primary-metric csat \\
        --primary-measure top_box --min-n 30 --admin anna --create-admin

Idempotent on the slug (made from the name unless given): run again, it changes nothing and says so, listing any
setting that differs; `--update` applies the given settings to the existing organization. Invalid values stop it
with every problem named and a non-zero exit code; nothing is stored then.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from accounts.models import Membership, Organization, Role
from accounts.services import membership_add, organization_create, organization_update

PASSWORD_ENV = "CX_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a password


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "\n".join(f"  {field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
    return "\n".join(f"  {m}" for m in exc.messages)


class Command(BaseCommand):
    help = "Create an organization (or, with --update, change an existing one) and give it an administrator."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", help="Default: made from the name.")
        parser.add_argument("--currency", help="ISO 4217 code (default SEK).")
        parser.add_argument("--timezone", help="A time zone name such as Europe/Oslo (default Europe/Stockholm).")
        parser.add_argument("--language", help="Default language: " + ", ".join(dict(settings.LANGUAGES)))
        parser.add_argument(
            "--languages",
            help=f"Survey languages, comma-separated (default all: {','.join(settings.SURVEY_LANGUAGES)}).",
        )
        parser.add_argument("--primary-metric", help="nps, csat, ces or a question's metric key (default nps).")
        parser.add_argument("--primary-measure", help="mean or top_box for 1-N scales (default: the scale's own).")
        parser.add_argument("--min-n", type=int, help="Minimum n for a figure (default 30).")
        parser.add_argument("--admin", help="Username of the organization's administrator (must exist).")
        parser.add_argument(
            "--create-admin",
            action="store_true",
            help=f"Create the --admin user if missing, with the password in the environment variable {PASSWORD_ENV}.",
        )
        parser.add_argument("--update", action="store_true", help="Change an existing organization's settings.")

    def handle(self, *args, **opts):
        fields = {
            "name": opts["name"],
            "currency": opts["currency"],
            "timezone": opts["timezone"],
            "default_language": opts["language"],
            "languages": [c.strip() for c in opts["languages"].split(",")] if opts["languages"] is not None else None,
            "primary_metric": opts["primary_metric"],
            "primary_measure": opts["primary_measure"],
            "min_n": opts["min_n"],
        }
        given = {k: v for k, v in fields.items() if v is not None}
        slug = opts["slug"] or slugify(opts["name"])[:70].strip("-")
        if not slug:
            raise CommandError("Give --slug: the name makes no usable slug.")
        try:
            with transaction.atomic():
                admin = self._admin(opts)
                existing = Organization.objects.filter(slug=slug).first()
                if existing is None:
                    org = organization_create(slug=slug, admin=admin, **given)
                    self.stdout.write(self.style.SUCCESS(f"Created organization {org.name!r} (slug {org.slug})."))
                else:
                    org = self._existing(existing, given, admin, opts["update"])
        except ValidationError as exc:
            raise CommandError("Invalid settings, nothing stored:\n" + _errors(exc)) from None
        languages = ",".join(org.languages) or "all"
        self.stdout.write(
            f"  currency {org.currency}, time zone {org.timezone}, language {org.default_language}, "
            f"survey languages {languages}, primary metric {org.primary_metric}"
            f"{' (' + org.primary_measure + ')' if org.primary_measure else ''}, minimum n {org.min_n}"
        )

    def _admin(self, opts):
        username = opts["admin"]
        if not username:
            if opts["create_admin"]:
                raise CommandError("--create-admin needs --admin <username>.")
            return None
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None:
            if opts["create_admin"]:
                self.stdout.write(f"User {username!r} exists already; the password is left unchanged.")
            return user
        if not opts["create_admin"]:
            raise CommandError(
                f"No user {username!r}. Create it first, or add --create-admin (password from ${PASSWORD_ENV})."
            )
        password = os.environ.get(PASSWORD_ENV, "")
        if not password:
            raise CommandError(f"--create-admin reads the new user's password from ${PASSWORD_ENV}, which is not set.")
        user = User(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(f"${PASSWORD_ENV} is not accepted as a password: " + " ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        self.stdout.write(f"Created user {username!r}.")
        return user

    def _existing(self, org: Organization, given: dict, admin, update: bool) -> Organization:
        if update:
            org = organization_update(organization=org, fields=given)
            self.stdout.write(self.style.SUCCESS(f"Updated organization {org.name!r} (slug {org.slug})."))
        else:
            differs = [
                f"{field} is {getattr(org, field)!r}, not {value!r}"
                for field, value in given.items()
                if getattr(org, field) != value and not (field == "currency" and str(value).upper() == org.currency)
            ]
            self.stdout.write(f"Organization {org.slug!r} exists already; nothing changed.")
            if differs:
                self.stdout.write(
                    self.style.WARNING("  Differs: " + "; ".join(differs) + ". Use --update to change it.")
                )
        if admin is not None:
            membership = Membership.objects.filter(organization=org, user=admin).first()
            if membership is None or (update and membership.role != Role.ADMIN):
                membership_add(organization=org, user=admin, role=Role.ADMIN)
                self.stdout.write(f"{admin.get_username()!r} is an administrator of {org.slug!r}.")
            elif membership.role != Role.ADMIN:
                self.stdout.write(
                    self.style.WARNING(
                        f"  {admin.get_username()!r} is a member ({membership.role}) of {org.slug!r}; "
                        "--update makes them an administrator."
                    )
                )
        return org
