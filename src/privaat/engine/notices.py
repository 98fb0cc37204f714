"""The notice a person was shown, and its hash: the proof that ties a consent to a text.

A stored policy version never changes, so its rendered notice is cached by (version, language,
format). The hash recorded with a consent is the SHA-256 of the HTML notice in the language the
person saw.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Literal

from privaat.core.policy import Policy
from privaat.notice import render_notice

Lang = Literal["nl", "en", "fr"]
Format = Literal["html", "md"]

_cache: dict[tuple[int, str, str], tuple[str, str]] = {}
_lock = threading.Lock()


def notice(version_id: int, policy: Policy, lang: Lang, fmt: Format = "html") -> tuple[str, str]:
    """The notice text of a stored policy version and its SHA-256 (hex)."""
    key = (version_id, lang, fmt)
    hit = _cache.get(key)
    if hit is None:
        text = render_notice(policy, lang, fmt)
        hit = (text, hashlib.sha256(text.encode()).hexdigest())
        with _lock:
            _cache[key] = hit
    return hit


def notice_sha256(version_id: int, policy: Policy, lang: Lang) -> str:
    return notice(version_id, policy, lang, "html")[1]
