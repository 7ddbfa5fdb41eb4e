"""API keys: only sha256 digests are held; a presented key is hashed and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pullcast.errors import ConfigError

__all__ = ["ENV_KEYS", "ServiceLimits", "hash_key", "read_key_file", "resolve_keys", "verify"]

#: Environment variable holding comma-separated sha256 hex digests of the accepted API keys.
ENV_KEYS = "PULLCAST_API_KEYS"
_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ServiceLimits:
    """Caps on what one request may ask (larger bodies get 413, longer lists 422).

    Parameters
    ----------
    max_body_bytes : int, default 4_000_000
        Largest request body.
    max_series : int, default 1000
        Series per forecast or orders request (and "all series" when none are listed).
    max_events : int, default 20_000
        Events per signals request.
    max_sales_rows : int, default 50_000
        Rows per sales request.
    max_paths : int, default 2000
        Sample paths per series for order proposals.
    """

    max_body_bytes: int = 4_000_000
    max_series: int = 1000
    max_events: int = 20_000
    max_sales_rows: int = 50_000
    max_paths: int = 2000

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_series", "max_events", "max_sales_rows", "max_paths"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"ServiceLimits.{name} must be >= 1, got {getattr(self, name)!r}")


def hash_key(key: str) -> str:
    """The sha256 hex digest under which an API key is configured."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _parse_digests(items: Iterable[str], where: str) -> list[str]:
    out = []
    for n, raw in enumerate(items, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        text = text.removeprefix("sha256:").lower()
        if not _HEX.match(text):
            raise ConfigError(
                f"{where}, entry {n}: expected a sha256 hex digest of an API key (64 hex characters, "
                "see `pullcast hash-key`), found something else; plain keys are never stored"
            )
        out.append(text)
    return out


def read_key_file(path: str | Path) -> list[str]:
    """Digests from a file: one per line, optional ``sha256:`` prefix, ``#`` comments."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"API key file {p} does not exist")
    return _parse_digests(p.read_text(encoding="utf-8").splitlines(), f"API key file {p}")


def resolve_keys(api_keys: Iterable[str] | None, *, insecure_dev: bool) -> list[str]:
    """The configured digests: ``api_keys`` if given, else the ``PULLCAST_API_KEYS`` variable.

    Raises
    ------
    ConfigError
        No key is configured and ``insecure_dev`` is False, or an entry is not a sha256 digest.
    """
    if api_keys is not None:
        digests = _parse_digests(list(api_keys), "api_keys")
    else:
        digests = _parse_digests(os.environ.get(ENV_KEYS, "").split(","), f"${ENV_KEYS}")
    if not digests and not insecure_dev:
        raise ConfigError(
            f"no API key configured: pass api_keys (sha256 digests), --api-key-file or ${ENV_KEYS}; "
            "or insecure_dev=True (--insecure-dev) to serve without authentication on a dev machine"
        )
    return digests


def verify(presented: str, digests: list[str]) -> bool:
    """Whether ``presented`` hashes to one of ``digests`` (every digest compared, in constant time)."""
    got = hash_key(presented).encode("ascii")
    ok = False
    for d in digests:
        ok |= hmac.compare_digest(got, d.encode("ascii"))
    return ok
