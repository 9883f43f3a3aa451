"""Limits on actions anyone may trigger: e-mails sent on request, calls to outside services."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def allowance_take(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Use one of ``limit`` uses of ``key`` per window; False when the window's uses are spent.

    Each use is its own cache entry, created with ``add``, which is atomic in the database
    cache and in Redis alike, so processes behind one address never hand out more than
    ``limit`` uses between them. Windows are aligned to the clock: every process agrees on
    the current one without storing when it began.
    """
    if limit <= 0:
        return False
    window = int(time.time()) // window_seconds
    # Hashed: keys may hold addresses, and the cache is no place for personal data.
    digest = hashlib.sha256(f"{scope}\0{key}\0{window}".encode()).hexdigest()[:32]
    names = [f"allowance:{digest}:{use}" for use in range(limit)]
    # The entries outlive their window a little; an old window's entries are never read again.
    timeout = window_seconds + 60
    taken = cache.get_many(names)
    # any() stops at the first use won, so a grant costs one add, not ``limit`` of them.
    return any(name not in taken and cache.add(name, 1, timeout=timeout) for name in names)
