"""The notice a person was shown, and its hash: the proof that ties a consent to a text.

A stored policy version never changes, so its rendered notice is cached by (version, the
parsed policy, language, format). The entry holds the policy object, so its ``id`` cannot be
reused by another policy while the entry lives (version ids alone repeat between test
databases). The hash recorded with a consent is the SHA-256 of the HTML notice in the language
the person saw.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Literal

from privaat.core.policy import Policy
from privaat.notice import render_notice

Lang = Literal["nl", "en", "fr"]
Format = Literal["html", "md"]

CACHED = 64  # notices; a few per organisation and language

_cache: OrderedDict[tuple[int, int, str, str], tuple[Policy, str, str]] = OrderedDict()
_lock = threading.Lock()


def notice(version_id: int, policy: Policy, lang: Lang, fmt: Format = "html") -> tuple[str, str]:
    """The notice text of a stored policy version and its SHA-256 (hex)."""
    key = (version_id, id(policy), lang, fmt)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit[1], hit[2]
    text = render_notice(policy, lang, fmt)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with _lock:
        _cache[key] = (policy, text, digest)
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
    return text, digest


def notice_sha256(version_id: int, policy: Policy, lang: Lang) -> str:
    return notice(version_id, policy, lang, "html")[1]
