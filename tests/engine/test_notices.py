"""The notice hash belongs to the policy it was rendered from, whatever its version id."""

from __future__ import annotations

import hashlib

from privaat.core.policy import load_policy
from privaat.engine.notices import notice, notice_sha256
from privaat.examples import example_text
from privaat.notice import render_notice


def test_two_policies_with_the_same_version_id_get_their_own_hash() -> None:
    jetstax = load_policy(example_text("jetstax")).policy
    jsm = load_policy(example_text("jsm")).policy
    first = notice_sha256(1, jetstax, "nl")
    second = notice_sha256(1, jsm, "nl")  # another store, the same id
    assert first != second
    assert second == hashlib.sha256(render_notice(jsm, "nl", "html").encode()).hexdigest()


def test_a_cached_notice_is_the_rendered_one() -> None:
    policy = load_policy(example_text("sendtex")).policy
    text, digest = notice(7, policy, "fr", "md")
    assert text == render_notice(policy, "fr", "md")
    assert notice(7, policy, "fr", "md") == (text, digest)
