"""The service's own refusal: an HTTP status plus a message naming the field at fault."""

from __future__ import annotations

__all__ = ["RequestError"]


class RequestError(Exception):
    """A request the service refuses: HTTP ``status`` and a message naming ``field``."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.status, self.field, self.message = status, field, message
