"""Errors raised by response ingestion; callers map them to a form error, a 400 or a row in an error report."""

from __future__ import annotations


class IngestionError(Exception):
    """Base class: the submission was refused and nothing was written."""

    code = "invalid"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.__doc__)
        self.message = message or (self.__doc__ or "").strip()


class AnswerValidationError(IngestionError):
    """The answers do not fit the survey version's questions."""

    code = "invalid_answers"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        # {question code (or "__all__"): message}
        self.errors = errors


class UnknownRows(IngestionError):
    """The survey, version, touchpoint, customer or invitation named is not one of the organization's (or not open)."""

    code = "unknown_rows"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        # {field: [message]}
        self.errors = errors


class InvitationUsed(IngestionError):
    """This invitation has already been answered."""

    code = "invitation_used"


class InvitationExpired(IngestionError):
    """This invitation has expired."""

    code = "invitation_expired"


class IdempotencyConflict(IngestionError):
    """This idempotency key was used before for a different request; use a new key for a new request."""

    code = "idempotency_conflict"


class IdempotencyKeyTooLong(IngestionError):
    """The idempotency key is longer than 100 characters."""

    code = "idempotency_key_too_long"


class SubmissionMismatch(IngestionError):
    """The survey, version, touchpoint, customer or invitation do not belong together."""

    code = "mismatch"
