"""Domain errors: a rule said no; views show the message and change nothing."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request; the message is for the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(DomainError):
    """The user may not do this to this object."""


class StaleEdit(DomainError):
    """Someone else saved the same record since this form was loaded."""
