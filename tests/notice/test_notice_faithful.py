"""The notice says what the policy says, and nothing it does not.

Each new field of the policy is shown when it is set and absent when it is not; each
sentence the notice could make up (an adequacy decision, a route to human review, a way
to withdraw consent, a channel's address) appears only when the policy states it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest

from privaat.core.duration import Duration
from privaat.core.policy.model import (
    Channel,
    ChannelKind,
    CookieCategory,
    Lang,
    Policy,
    Right,
    Statement,
    TransferMechanism,
    Trigger,
)
from privaat.i18n import Words
from privaat.notice import render_notice
from privaat.notice.build import build_notice
from privaat.notice.labels import CHANNEL, RIGHT, TRANSFER
from privaat.notice.view import Bullets, Fields, Line, Notice, Paragraph, Section, Table

from .helpers import LANGS, normal, visible_text

# --------------------------------------------------------------------------- helpers


def text(line: Line) -> str:
    return "".join(s.text for s in line)


def walk(sections: tuple[Section, ...]) -> Iterator[Section]:
    for s in sections:
        yield s
        yield from walk(s.subsections)


def section(notice: Notice, sid: str) -> Section:
    return next(s for s in walk(notice.sections) if s.id == sid)


def has_section(notice: Notice, sid: str) -> bool:
    return any(s.id == sid for s in walk(notice.sections))


def fields(sec: Section) -> dict[str, list[str]]:
    """The labelled values of a section's own field lists: label -> texts."""
    out: dict[str, list[str]] = {}
    for block in sec.blocks:
        if isinstance(block, Fields):
            for f in block.fields:
                out[f.label] = [text(v) for v in f.values]
    return out


def paragraphs(sec: Section) -> list[str]:
    return [text(b.line) for b in sec.blocks if isinstance(b, Paragraph)]


def bullets(sec: Section) -> list[str]:
    return [text(item) for b in sec.blocks if isinstance(b, Bullets) for item in b.items]


def everything(notice: Notice) -> str:
    """Every text of the view model, joined: for "appears nowhere" checks."""
    parts: list[str] = []
    for sec in walk(notice.sections):
        parts.append(text(sec.heading))
        parts += paragraphs(sec) + bullets(sec)
        for block in sec.blocks:
            if isinstance(block, Fields):
                parts += [f.label for f in block.fields]
                parts += [text(v) for f in block.fields for v in f.values]
            elif isinstance(block, Table):
                parts += [text(cell) for row in block.rows for cell in row]
    return "\n".join(parts)


def edit(policy: Policy, path: str, **update: Any) -> Policy:
    """`policy` with the model at dotted `path` (``rights``, ``purposes.1``) updated."""
    *parents, last = path.split(".")
    chain: list[Any] = [policy]
    for key in parents:
        chain.append(_get(chain[-1], key))
    target = _get(chain[-1], last)
    value: Any = target.model_copy(update=update)
    for key, holder in zip(reversed([*parents, last]), reversed(chain), strict=True):
        value = _set(holder, key, value)
    result: Policy = value
    return result


def _get(holder: Any, key: str) -> Any:
    return holder[int(key)] if key.isdigit() else getattr(holder, key)


def _set(holder: Any, key: str, value: Any) -> Any:
    if key.isdigit():
        items = list(holder)
        items[int(key)] = value
        return items
    return holder.model_copy(update={key: value})


def index(items: list[Any], key: str, value: str) -> int:
    return next(i for i, item in enumerate(items) if getattr(item, key) == value)


# --------------------------------------------------------------------------- the controller


@pytest.mark.parametrize("lang", LANGS)
def test_controller_address_is_shown_when_stated(rich: Policy, lang: Lang) -> None:
    w = Words(lang)
    shown = fields(section(build_notice(rich, lang), "controller"))
    assert shown[w._("Address")] == [f"Noorderlaan 120, 2030 Antwerpen, {w.country('BE')}"]
    assert w._("Main establishment") not in shown


@pytest.mark.parametrize("lang", LANGS)
def test_no_controller_address_leaves_the_line_out(minimal: Policy, lang: Lang) -> None:
    policy = minimal.model_copy(
        update={"controller": minimal.controller.model_copy(update={"address": None})}
    )
    w = Words(lang)
    notice = build_notice(policy, lang)
    shown = fields(section(notice, "controller"))
    assert w._("Address") not in shown
    assert w._("Postal address") not in shown
    # the country of the main establishment is still stated, from the jurisdiction
    assert shown[w._("Main establishment")] == [w.country("BE")]
    for fmt in ("md", "html"):
        rendered = visible_text(render_notice(policy, lang, fmt), fmt)
        assert "None" not in rendered
        assert "Kerkstraat" not in rendered


# --------------------------------------------------------------------------- cookies


@pytest.mark.parametrize(
    ("lang", "not_stated"), [("nl", "Niet vermeld"), ("en", "Not stated"), ("fr", "Non précisée")]
)
def test_a_cookie_without_lifetime_says_it_is_not_stated(
    rich: Policy, lang: Lang, not_stated: str
) -> None:
    w = Words(lang)
    (table,) = [
        b for b in section(build_notice(rich, lang), "cookies").blocks if isinstance(b, Table)
    ]
    lifetimes = {text(row[0]): text(row[4]) for row in table.rows}
    assert lifetimes["_ab_variant"] == not_stated
    assert lifetimes["nimbus_session"] == w._("Until you close your browser")
    assert lifetimes["_stats_id"] == w.duration(Duration(months=13))
    assert list(lifetimes.values()).count(not_stated) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_cookie_consent_column_states_only_what_the_policy_says(rich: Policy, lang: Lang) -> None:
    w = Words(lang)
    notice = build_notice(rich, lang)
    cookies = section(notice, "cookies")
    (table,) = [b for b in cookies.blocks if isinstance(b, Table)]
    consent = {text(row[0]): text(row[5]) for row in table.rows}
    assert consent["_stats_id"] == w._("Only after your consent")
    assert consent["nimbus_session"] == w._("Not needed")  # strictly necessary
    # a functional cookie set without consent: the notice does not call consent unneeded
    assert consent["nimbus_lang"] == w._("Placed without asking for your consent")
    # no general promise that consent-needing cookies wait for consent
    english = build_notice(rich, "en")
    assert "only placed once you have given it" not in " ".join(
        paragraphs(section(english, "cookies"))
    )


# --------------------------------------------------------------------------- retention


@pytest.mark.parametrize(
    ("lang", "label"),
    [
        ("nl", "uw uitschrijving voor de nieuwsbrief"),
        ("en", "your unsubscribing from the newsletter"),
        ("fr", "votre désinscription de la newsletter"),
    ],
)
def test_a_named_event_is_shown_by_its_label(rich: Policy, lang: Lang, label: str) -> None:
    w = Words(lang)
    shown = fields(section(build_notice(rich, lang), "retention-unsubscribed"))
    assert shown[w._("Counted from")] == [label]
    assert "newsletter_unsubscribed" not in everything(build_notice(rich, lang))


@pytest.mark.parametrize("lang", LANGS)
def test_a_named_event_without_label_falls_back_to_its_key(rich: Policy, lang: Lang) -> None:
    i = index(rich.retention, "id", "unsubscribed")
    policy = edit(rich, f"retention.{i}", event_label=None)
    shown = fields(section(build_notice(policy, lang), "retention-unsubscribed"))
    assert shown[Words(lang)._("Counted from")] == ["newsletter_unsubscribed"]


@pytest.mark.parametrize(
    ("lang", "immediately", "while_procedure"),
    [
        ("nl", "onmiddellijk na uw uitschrijving voor de nieuwsbrief", "alleen zolang de procedure loopt"),
        ("en", "immediately after your unsubscribing from the newsletter", "only while the procedure runs"),
        ("fr", "immédiatement après votre désinscription de la newsletter", "uniquement pendant la durée de la procédure"),
    ],
)  # fmt: skip
def test_a_zero_maximum_reads_immediately_or_while_the_procedure_runs(
    rich: Policy, lang: Lang, immediately: str, while_procedure: str
) -> None:
    w = Words(lang)
    event = index(rich.retention, "id", "unsubscribed")
    procedure = index(rich.retention, "id", "procedure-end")
    policy = edit(rich, f"retention.{event}", maximum=Duration())
    policy = edit(policy, f"retention.{procedure}", maximum=Duration(), minimum=None)
    notice = build_notice(policy, lang)
    at_once = fields(section(notice, "retention-unsubscribed"))
    assert at_once[w._("Maximum period")] == [immediately]
    assert w._("Counted from") not in at_once
    during = fields(section(notice, "retention-procedure-end"))
    assert during[w._("Maximum period")] == [while_procedure]
    assert w._("Counted from") not in during
    text_of = visible_text(render_notice(policy, lang, "html"), "html")
    assert normal(immediately) in text_of
    zero_days = w.ngettext("%(num)d day", "%(num)d days", 0)
    assert not re.search(rf"(?<!\d){zero_days}", text_of)


@pytest.mark.parametrize("lang", LANGS)
def test_a_nonzero_maximum_keeps_its_start(rich: Policy, lang: Lang) -> None:
    w = Words(lang)
    shown = fields(section(build_notice(rich, lang), "retention-procedure-end"))
    assert shown[w._("Maximum period")] == [w.duration(Duration(years=1))]
    assert shown[w._("Counted from")] == [w._("the end of the procedure")]


# --------------------------------------------------------------------------- recipients


@pytest.mark.parametrize("lang", LANGS)
def test_an_agreement_without_date_is_stated_without_a_date(rich: Policy, lang: Lang) -> None:
    w = Words(lang)
    label = w._("Data processing agreement (Art. 28 GDPR)")
    notice = build_notice(rich, lang)
    assert fields(section(notice, "recipient-backup"))[label] == [
        w._("A data processing agreement has been concluded.")
    ]
    assert fields(section(notice, "recipient-crm"))[label] == [
        w._("Signed on %(date)s.", date=w.date(dt.date(2024, 2, 10)))
    ]
    # neither a date nor an agreement: nothing is said
    assert label not in fields(section(notice, "recipient-credit-bureau"))


def test_dutch_agreement_wording(rich: Policy) -> None:
    shown = fields(section(build_notice(rich, "nl"), "recipient-backup"))
    assert "verwerkersovereenkomst gesloten" in shown["Verwerkersovereenkomst (art. 28 AVG)"][0]


@pytest.mark.parametrize("lang", LANGS)
def test_no_adequacy_is_inferred_for_a_transfer_without_mechanism(rich: Policy, lang: Lang) -> None:
    w = Words(lang)
    label = w._("Transfer outside the European Economic Area")
    # MailPost Ltd is in the United Kingdom, which has an adequacy decision...
    stated = fields(section(build_notice(rich, lang), "recipient-mailer"))
    assert stated[label] == [w._(TRANSFER[TransferMechanism.ADEQUACY])]
    # ...but when the policy states no mechanism, the notice does not rely on it.
    i = index(rich.recipients, "id", "mailer")
    policy = edit(rich, f"recipients.{i}", transfer=TransferMechanism.NONE)
    shown = fields(section(build_notice(policy, lang), "recipient-mailer"))
    assert shown[label] == [w._(TRANSFER[TransferMechanism.NONE])]
    assert w._(TRANSFER[TransferMechanism.ADEQUACY]) not in everything(build_notice(policy, lang))


def test_dutch_wording_of_a_missing_safeguard(rich: Policy) -> None:
    i = index(rich.recipients, "id", "mailer")
    policy = edit(rich, f"recipients.{i}", transfer=TransferMechanism.NONE)
    text_of = visible_text(render_notice(policy, "nl", "md"), "md")
    assert "De verklaring vermeldt geen waarborg voor deze doorgifte." in text_of


# --------------------------------------------------------------------------- purposes


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("nl", "Wij gaan ervan uit dat u uw toestemming geeft door onze website of onze diensten te gebruiken."),
        ("en", "We consider that you give your consent by using our website or our services."),
        ("fr", "Nous considérons que vous donnez votre consentement en utilisant notre site web ou nos services."),
    ],
)  # fmt: skip
def test_implied_consent_is_stated_as_the_policy_claims_it(
    rich: Policy, lang: Lang, sentence: str
) -> None:
    w = Words(lang)
    label = w._("How you give your consent")
    notice = build_notice(rich, lang)
    assert fields(section(notice, "purpose-analytics"))[label][1] == sentence
    assert sentence not in fields(section(notice, "purpose-newsletter"))[label]
    i = index(rich.purposes, "id", "analytics")
    policy = edit(rich, f"purposes.{i}.consent", implied=False)
    assert sentence not in everything(build_notice(policy, lang))


@pytest.mark.parametrize("lang", LANGS)
def test_no_withdrawal_sentence_is_made_up_for_a_purpose(rich: Policy, lang: Lang) -> None:
    w = Words(lang)
    label = w._("How you withdraw your consent")
    i = index(rich.purposes, "id", "newsletter")
    consent = rich.purposes[i].consent
    assert consent is not None
    assert consent.withdrawal is not None
    stated = fields(section(build_notice(rich, lang), "purpose-newsletter"))
    assert stated[label] == [consent.withdrawal[lang]]
    policy = edit(rich, f"purposes.{i}.consent", withdrawal=None)
    notice = build_notice(policy, lang)
    assert label not in fields(section(notice, "purpose-newsletter"))
    # the general right to withdraw stays in the rights section
    assert has_section(notice, "withdraw")
    right = w._(RIGHT[Right.WITHDRAW_CONSENT][1])
    assert any(right in item for item in bullets(section(notice, "rights")))


# --------------------------------------------------------------------------- decisions


@pytest.mark.parametrize("lang", LANGS)
def test_a_route_to_human_review_only_when_the_policy_states_one(rich: Policy, lang: Lang) -> None:
    w = Words(lang)
    label = w._("Human intervention")
    review = rich.automated_decisions[0].human_review
    assert review is not None
    stated = fields(section(build_notice(rich, lang), "decision-credit-decision"))
    assert stated[label] == [review[lang]]
    policy = edit(rich, "automated_decisions.0", human_review=None)
    notice = build_notice(policy, lang)
    assert label not in fields(section(notice, "decision-credit-decision"))
    english = everything(build_notice(policy, "en"))
    assert "review the decision" not in english
    # the Art. 22 right is still listed, since the policy lists it
    assert w._(RIGHT[Right.HUMAN_REVIEW][1]) in everything(notice)


@pytest.mark.parametrize("lang", LANGS)
def test_the_art_22_right_only_when_the_policy_lists_it(rich: Policy, lang: Lang) -> None:
    w = Words(lang)
    rights = [r for r in rich.rights.rights if r is not Right.HUMAN_REVIEW]
    policy = edit(rich, "automated_decisions.0", human_review=None)
    policy = edit(policy, "rights", rights=rights)
    notice = everything(build_notice(policy, lang))
    assert w._(RIGHT[Right.HUMAN_REVIEW][1]) not in notice
    assert w._("Human intervention") not in notice


# --------------------------------------------------------------------------- rights


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("nl", "Wij kennen deze rechten toe aan de volgende groepen: Klanten en Abonnees van de nieuwsbrief. De AVG geeft ze echter aan iedereen van wie wij persoonsgegevens verwerken."),
        ("en", "We grant these rights to the following groups: Customers and Newsletter subscribers. The GDPR, however, gives them to everyone whose personal data we process."),
        ("fr", "Nous accordons ces droits aux groupes suivants\u00a0: Clients et Abonnés à la newsletter. Le RGPD les confère toutefois à toute personne dont nous traitons les données à caractère personnel."),
    ],
)  # fmt: skip
def test_rights_granted_to_some_groups_say_so_and_that_the_law_gives_them_to_all(
    rich: Policy, lang: Lang, sentence: str
) -> None:
    granted = paragraphs(section(build_notice(rich, lang), "rights"))
    assert sentence in granted
    policy = edit(rich, "rights", subjects=[])
    everyone = paragraphs(section(build_notice(policy, lang), "rights"))
    assert everyone == [p for p in granted if p != sentence]


def _no_email(minimal: Policy) -> Policy:
    contact = minimal.controller.contact.model_copy(update={"email": None, "address": None})
    controller = minimal.controller.model_copy(
        update={"contact": contact, "privacy_contact": None, "address": None}
    )
    rights = minimal.rights.model_copy(
        update={"channels": [Channel(kind=ChannelKind.EMAIL), Channel(kind=ChannelKind.POST)]}
    )
    return minimal.model_copy(update={"controller": controller, "rights": rights})


@pytest.mark.parametrize("lang", LANGS)
def test_a_channel_without_any_address_is_still_listed(minimal: Policy, lang: Lang) -> None:
    w = Words(lang)
    shown = fields(section(build_notice(_no_email(minimal), lang), "exercise"))
    assert shown[w._(CHANNEL[ChannelKind.EMAIL])] == [w._("address not stated")]
    assert shown[w._(CHANNEL[ChannelKind.POST])] == [w._("address not stated")]


def test_dutch_notice_names_an_email_channel_without_address(minimal: Policy) -> None:
    md = render_notice(_no_email(minimal), "nl", "md")
    assert "- **Per e-mail:** adres niet vermeld" in md
    assert "- **Per post:** adres niet vermeld" in md


@pytest.mark.parametrize("lang", LANGS)
def test_a_channel_takes_the_controllers_details_when_it_names_none(
    minimal: Policy, lang: Lang
) -> None:
    w = Words(lang)
    rights = minimal.rights.model_copy(
        update={"channels": [Channel(kind=ChannelKind.EMAIL), Channel(kind=ChannelKind.POST)]}
    )
    shown = fields(
        section(build_notice(minimal.model_copy(update={"rights": rights}), lang), "exercise")
    )
    assert shown[w._(CHANNEL[ChannelKind.EMAIL])] == ["privacy@voorbeeld.be"]
    assert shown[w._(CHANNEL[ChannelKind.POST])] == [
        f"Voorbeeld BV, Kerkstraat 1, 9000 Gent, {w.country('BE')}"
    ]
    assert w._("address not stated") not in everything(build_notice(minimal, lang))


def _account_only(minimal: Policy, address: str | None, website: str | None) -> Policy:
    contact = minimal.controller.contact.model_copy(update={"website": website})
    controller = minimal.controller.model_copy(update={"contact": contact})
    rights = minimal.rights.model_copy(
        update={"channels": [Channel(kind=ChannelKind.ACCOUNT, address=address)]}
    )
    return minimal.model_copy(update={"controller": controller, "rights": rights})


ACCOUNT = [("nl", "In uw account"), ("en", "In your account"), ("fr", "Dans votre compte")]


@pytest.mark.parametrize(("lang", "account"), ACCOUNT)
def test_an_account_channel_needs_no_address(minimal: Policy, lang: Lang, account: str) -> None:
    w = Words(lang)
    policy = _account_only(minimal, address=None, website=None)
    assert fields(section(build_notice(policy, lang), "exercise")) == {account: []}
    md = render_notice(policy, lang, "md")
    assert f"- **{account}**\n" in md
    assert f"<dt>{account}</dt>\n  <dd></dd>" in render_notice(policy, lang, "html")
    for stated in ("web address not stated", "address not stated"):
        assert w._(stated) not in md


@pytest.mark.parametrize(("lang", "account"), ACCOUNT)
@pytest.mark.parametrize(
    ("address", "website"),
    [("https://app.voorbeeld.be/account", None), (None, "https://app.voorbeeld.be/account")],
    ids=["the channel's", "the controller's website"],
)
def test_an_account_channel_shows_an_address_when_there_is_one(
    minimal: Policy, lang: Lang, account: str, address: str | None, website: str | None
) -> None:
    url = "https://app.voorbeeld.be/account"
    policy = _account_only(minimal, address, website)
    assert fields(section(build_notice(policy, lang), "exercise")) == {account: [url]}
    md = render_notice(policy, lang, "md").splitlines()
    assert next(line for line in md if line.startswith(f"- **{account}")).endswith(
        f":** [{url}](<{url}>)"
    )
    assert f'<dt>{account}</dt>\n  <dd><a href="{url}">{url}</a></dd>' in render_notice(
        policy, lang, "html"
    )


# --------------------------------------------------------------------------- statements


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("nl", "Verdere toezeggingen"), ("en", "Further commitments"), ("fr", "Autres engagements")],
)
def test_statements_have_their_own_section_before_changes(
    rich: Policy, lang: Lang, heading: str
) -> None:
    notice = build_notice(rich, lang)
    ids = [s.id for s in notice.sections]
    assert ids[-2:] == ["commitments", "changes"]
    commitments = section(notice, "commitments")
    assert text(commitments.heading) == heading
    assert bullets(commitments) == [s.text[lang] for s in rich.statements]
    for fmt in ("md", "html"):
        rendered = visible_text(render_notice(rich, lang, fmt), fmt)
        assert normal(heading) in rendered


def test_no_statements_no_section(minimal: Policy) -> None:
    assert not has_section(build_notice(minimal, "en"), "commitments")
    one = minimal.model_copy(
        update={"statements": [Statement(id="no-sale", text={"en": "We never sell your data."})]}
    )
    assert bullets(section(build_notice(one, "en"), "commitments")) == ["We never sell your data."]


def test_rich_fixture_uses_every_new_field(rich: Policy) -> None:
    assert rich.controller.address is not None
    assert any(c.lifetime is None for c in rich.cookies)
    assert any(p.consent and p.consent.implied for p in rich.purposes)
    assert any(r.event_label for r in rich.retention if r.trigger is Trigger.EVENT)
    assert any(r.dpa_in_place and r.dpa_signed is None for r in rich.recipients)
    assert rich.rights.subjects
    assert rich.statements
    assert any(
        c.category is CookieCategory.FUNCTIONAL and not c.consent_required for c in rich.cookies
    )
