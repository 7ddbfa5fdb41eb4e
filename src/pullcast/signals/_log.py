"""The columnar, append-only event log and the dedupe key table behind :class:`SignalStore`."""

from __future__ import annotations

import numpy as np

from pullcast.signals import _fast

__all__ = ["EventLog", "KeyTable", "Vocab"]

_FIELDS: dict[str, type] = {
    "chan": np.int16,
    "sku": np.int32,
    "loc": np.int32,
    "time": np.int64,
    "arr": np.int64,
    "value": np.float64,
    "prev": np.float64,
    "key": np.int32,
}


class EventLog:
    """Growable columnar arrays (capacity doubling): appending k events costs O(k) amortised."""

    def __init__(self) -> None:
        self.n = 0
        self._cap = 0
        self._a: dict[str, np.ndarray] = {f: np.empty(0, dtype=t) for f, t in _FIELDS.items()}

    def reserve(self, k: int) -> None:
        """Make room for ``k`` more events (untouched capacity costs address space, not memory)."""
        need = self.n + k
        if need > self._cap:
            cap = max(2 * need, 1024)
            for f, t in _FIELDS.items():
                new: np.ndarray = np.empty(cap, dtype=t)
                new[: self.n] = self._a[f][: self.n]
                self._a[f] = new
            self._cap = cap

    def raw(self, field: str) -> np.ndarray:
        """The whole buffer of one column, capacity included (for writers)."""
        return self._a[field]

    def __getitem__(self, field: str) -> np.ndarray:
        """The live part of one column (a view: do not keep it across appends)."""
        return self._a[field][: self.n]

    def window(self, field: str, start: int, stop: int) -> np.ndarray:
        return self._a[field][start:stop]


class KeyTable:
    """Open-addressing hash table from a 128-bit event-key hash to a key id, with each key's latest report."""

    def __init__(self) -> None:
        self.n_keys = 0
        self.slots = np.zeros(1024, dtype=np.int32)
        self.kh1 = np.empty(512, dtype=np.uint64)
        self.kh2 = np.empty(512, dtype=np.uint64)
        self.k_arr = np.empty(512, dtype=np.int64)
        self.k_val = np.empty(512, dtype=np.float64)

    def reserve(self, extra: int) -> None:
        need = self.n_keys + extra
        if need > self.kh1.size:
            cap = max(2 * need, 2 * self.kh1.size)
            for name in ("kh1", "kh2", "k_arr", "k_val"):
                old = getattr(self, name)
                new = np.empty(cap, dtype=old.dtype)
                new[: self.n_keys] = old[: self.n_keys]
                setattr(self, name, new)
        if 2 * need > self.slots.size:  # load factor <= 0.5
            size = self.slots.size
            while 2 * need > size:
                size *= 2
            self.slots = np.zeros(size, dtype=np.int32)  # key + 1; 0 = empty
            _fast.rehash(self.slots, self.kh1, self.n_keys)


class Vocab:
    """Labels <-> dense int codes (append-only)."""

    def __init__(self) -> None:
        self.labels: list[object] = []
        self._code: dict[object, int] = {}

    def __len__(self) -> int:
        return len(self.labels)

    def encode(self, labels: object) -> np.ndarray:
        """Codes of ``labels`` (an iterable of hashables), registering new ones."""
        out = []
        for lab in labels:  # type: ignore[attr-defined]
            code = self._code.get(lab)
            if code is None:
                code = len(self.labels)
                self._code[lab] = code
                self.labels.append(lab)
            out.append(code)
        return np.asarray(out, dtype=np.int64)

    def lookup(self, labels: object) -> np.ndarray:
        """Codes of ``labels``, -1 for labels never seen (nothing registered)."""
        return np.asarray([self._code.get(lab, -1) for lab in labels], dtype=np.int64)  # type: ignore[attr-defined]

    def decode(self, codes: np.ndarray) -> np.ndarray:
        table = np.empty(len(self.labels) + 1, dtype=object)
        table[:-1] = self.labels
        table[-1] = None
        return table[np.where(codes < 0, len(self.labels), codes)]
