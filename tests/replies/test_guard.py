"""Reply guard: each rule with French and English positives, negatives and near misses."""

from __future__ import annotations

import pytest

from compris.replies.guard import (
    RULES,
    Finding,
    Fix,
    GuardContext,
    GuardSettings,
    PromiseRule,
    check,
    rule_ids,
)

PUBLIC = GuardContext()
PRIVATE = GuardContext(public=False)


def rules_of(draft: str, ctx: GuardContext = PUBLIC, settings: GuardSettings | None = None) -> set[str]:
    return {f.rule for f in check(draft, ctx, settings)}


def only(rule: str, draft: str, ctx: GuardContext = PUBLIC, settings: GuardSettings | None = None) -> list[Finding]:
    return [f for f in check(draft, ctx, settings) if f.rule == rule]


# --- office_hours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "draft",
    [
        "@jane Please call us between 9am and 5pm and we will sort it out.",
        "We can only look into this during business hours.",
        "Our team is available Monday to Friday from 9:00 to 17:00.",
        "Nos conseillers sont disponibles du lundi au vendredi.",
        "Notre service client est joignable de 9h à 17h.",
        "Nous traiterons votre demande pendant nos heures d'ouverture.",
    ],
)
def test_office_hours_positive(draft: str) -> None:
    found = only("office_hours", draft)
    assert found and found[0].span is not None and found[0].severity == "warning"


@pytest.mark.parametrize(
    "draft",
    [
        "Our team is available 24/7, how can we help?",
        "Nos conseillers sont disponibles 24h/24 et 7j/7.",
        "Your flight now leaves between 9am and 11am.",  # a time range that is no deflection
        "Your refund will arrive within 5 business days.",
        "Le remboursement arrive sous 5 jours ouvrés.",
        "The check-in counter opens from 4:30 a.m. to 7:30 p.m. daily.",  # answering a question
    ],
)
def test_office_hours_negative(draft: str) -> None:
    assert "office_hours" not in rules_of(draft)


def test_office_hours_only_on_247_channels() -> None:
    draft = "Nos conseillers sont disponibles du lundi au vendredi de 9h à 17h."
    assert "office_hours" in rules_of(draft, GuardContext(channel_247=True))
    assert "office_hours" not in rules_of(draft, GuardContext(channel_247=False))


# --- send_elsewhere --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "draft",
    [
        "@sam Please contact customer service, they will help you.",
        "You'll need to call our hotline at 1-800-433-7300.",
        "Hi Sam, please reach out to the baggage team at the airport.",
        "Veuillez contacter notre service client.",
        "Merci de vous rapprocher de votre agence.",
        "Appelez le service client au 3900.",
    ],
)
def test_send_elsewhere_positive(draft: str) -> None:
    found = only("send_elsewhere", draft)
    assert found
    assert found[0].fix == Fix(kind="action", action="escalate")


@pytest.mark.parametrize(
    "draft",
    [
        "Please contact us by DM so we can look into it.",
        "Envoyez-nous un message privé, nous regardons tout de suite.",
        "Contactez-nous en MP avec votre numéro de dossier.",
        "I have contacted the baggage team for you and they are on it.",
        "Did you go to the baggage service office to report it?",
        "Nous avons contacté notre service client pour vous.",
    ],
)
def test_send_elsewhere_negative(draft: str) -> None:
    assert "send_elsewhere" not in rules_of(draft)


# --- review_bargain --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "draft",
    [
        "Could you leave us 5 stars?",
        "If you remove your post we will refund you.",
        "Would you mind updating your review now that it is fixed?",
        "Pourriez-vous modifier votre avis ?",
        "N'hésitez pas à nous laisser un avis positif !",
        "Si vous supprimez votre publication, nous vous offrons un bon d'achat.",
    ],
)
def test_review_bargain_positive(draft: str) -> None:
    found = only("review_bargain", draft)
    assert found and found[0].severity == "block"


@pytest.mark.parametrize(
    "draft",
    [
        "For your privacy, please delete the tweet showing your booking number.",
        "Pour votre sécurité, supprimez le tweet qui contient votre numéro de dossier.",
        "Thanks for the review, we are glad you enjoyed the flight.",
        "Merci pour votre avis, nous le transmettons à l'équipe.",
    ],
)
def test_review_bargain_negative(draft: str) -> None:
    assert "review_bargain" not in rules_of(draft)


def test_review_bargain_fix_removes_the_sentence() -> None:
    draft = "@ann Glad it worked out. Could you leave us 5 stars? Have a nice day."
    finding = only("review_bargain", draft)[0]
    assert finding.fix is not None and finding.fix.kind == "replace_draft"
    assert finding.fix.apply(draft, finding.span) == "@ann Glad it worked out. Have a nice day."


# --- asks_personal_data ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "draft",
    [
        "Could you share your booking reference?",
        "Please provide your confirmation number so I can take a look.",
        "What's your e-mail address?",
        "Pourriez-vous nous indiquer votre numéro de dossier ?",
        "Merci de nous communiquer votre référence de réservation.",
        "Pouvez-vous nous donner votre numéro de téléphone ?",
    ],
)
def test_asks_personal_data_public(draft: str) -> None:
    found = only("asks_personal_data", draft)
    assert found
    assert found[0].fix == Fix(kind="action", action="move_to_private")
    assert found[0].severity == "block"


@pytest.mark.parametrize(
    "draft",
    [
        "Please send us your booking reference by DM.",
        "Envoyez-nous un message privé avec votre numéro de dossier.",
        "Please don't share your booking reference publicly.",
        "What's your flight number?",  # public information
        "Have you tried resetting your password?",
    ],
)
def test_asks_personal_data_negative(draft: str) -> None:
    assert "asks_personal_data" not in rules_of(draft)


def test_asks_personal_data_fine_in_private() -> None:
    assert "asks_personal_data" not in rules_of("Could you share your booking reference?", PRIVATE)
    assert "asks_personal_data" not in rules_of("Quel est votre numéro de dossier ?", PRIVATE)


def test_asks_personal_data_message_names_the_data() -> None:
    en = only("asks_personal_data", "Could you share your booking reference?")[0]
    fr = only("asks_personal_data", "Could you share your booking reference?", GuardContext(ui_language="fr"))[0]
    assert "booking reference" in en.message
    assert "référence de réservation" in fr.message


# --- echoes_personal_data --------------------------------------------------------------------------


def test_echoes_customer_email_and_locator() -> None:
    ctx = GuardContext(customer_text="my booking ref is QX7T2P, mail me at jo.martin@example.com")
    found = only("echoes_personal_data", "Thanks, we have emailed jo.martin@example.com about QX7T2P.", ctx)
    assert len(found) == 2
    fix = found[0].fix
    assert fix is not None and fix.kind == "replace_span" and "jo.martin" not in (fix.text or "")


def test_echoes_french() -> None:
    ctx = GuardContext(customer_text="Mon numéro est le 06 12 34 56 78, rappelez-moi")
    assert "echoes_personal_data" in rules_of("Nous vous rappelons au 06 12 34 56 78.", ctx)


def test_brand_contact_is_not_an_echo() -> None:
    ctx = GuardContext(customer_text="my flight was delayed, who do I call?")
    assert "echoes_personal_data" not in rules_of("You can reach us at help@airline.example.", ctx)
    assert "echoes_personal_data" not in rules_of("Write to help@airline.example.", GuardContext())


def test_echo_fine_in_private() -> None:
    ctx = GuardContext(public=False, customer_text="booking reference QX7T2P")
    assert "echoes_personal_data" not in rules_of("Your booking QX7T2P is confirmed.", ctx)


# --- no_acknowledgement ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "ctx"),
    [
        ("Your flight is on time.", GuardContext(customer_text="@air worst airline ever, delayed 5 hours!!")),
        ("What is your flight number?", GuardContext(customer_intent="complaint")),
        ("Votre vol part à 18h.", GuardContext(customer_text="Toujours pas de réponse, c'est honteux.")),
        ("Votre colis arrive demain.", GuardContext(customer_intent="complaint")),
    ],
)
def test_no_acknowledgement_positive(draft: str, ctx: GuardContext) -> None:
    found = only("no_acknowledgement", draft, ctx)
    assert found and found[0].span is None
    assert found[0].fix is not None and found[0].fix.kind == "replace_draft"


@pytest.mark.parametrize(
    ("draft", "ctx"),
    [
        ("So sorry about this, your flight is on time.", GuardContext(customer_intent="complaint")),
        ("We understand, let's fix it.", GuardContext(customer_intent="complaint")),
        ("Désolés pour ce retard, votre vol part à 18h.", GuardContext(customer_intent="complaint")),
        ("Nous comprenons votre frustration.", GuardContext(customer_intent="complaint")),
        ("Toutes nos excuses, nous regardons.", GuardContext(customer_intent="complaint")),
        ("Your flight is on time.", GuardContext(customer_intent="question")),
        ("Your flight is on time.", GuardContext(customer_text="Thanks for the great flight, amazing crew!")),
        ("Your flight is on time.", GuardContext()),  # nothing known about the customer
    ],
)
def test_no_acknowledgement_negative(draft: str, ctx: GuardContext) -> None:
    assert "no_acknowledgement" not in rules_of(draft, ctx)


def test_no_acknowledgement_fix_keeps_mentions_first() -> None:
    draft = "@jo Your flight is on time."
    fix = only("no_acknowledgement", draft, GuardContext(customer_intent="complaint"))[0].fix
    assert fix is not None and fix.text is not None and fix.text.startswith("@jo Sorry")


# --- blame -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "draft",
    [
        "As stated in our terms, this ticket is non-refundable.",
        "You should have checked the baggage rules.",
        "It's not our fault the train was late.",
        "Vous auriez dû vérifier vos billets.",
        "Comme indiqué dans nos CGV, ce billet n'est pas remboursable.",
        "Ce n'est pas notre faute.",
    ],
)
def test_blame_positive(draft: str) -> None:
    assert "blame" in rules_of(draft)


@pytest.mark.parametrize(
    "draft",
    [
        "You should have received an e-mail with your new times.",
        "Vous devriez recevoir un e-mail sous peu.",
        "It was our fault and we're sorry.",
        "Sizes are listed on our website.",
    ],
)
def test_blame_negative(draft: str) -> None:
    assert "blame" not in rules_of(draft)


# --- repeated_text ---------------------------------------------------------------------------------


def test_repeated_text_near_identical() -> None:
    previous = ("@jo Please send us a DM with your booking reference and we'll look into it.",)
    ctx = GuardContext(previous_texts=previous)
    again = "@jo please send us a DM with your booking reference and we will look into it!"
    assert "repeated_text" in rules_of(again, ctx)
    fr = GuardContext(previous_texts=("Merci de nous écrire en message privé, nous regardons.",))
    assert "repeated_text" in rules_of("Merci de nous écrire en message privé, nous regardons !", fr)


def test_repeated_text_different_is_fine() -> None:
    ctx = GuardContext(previous_texts=("Please send us a DM with your booking reference.",))
    assert "repeated_text" not in rules_of("Thanks, your new flight is confirmed for 6pm tomorrow.", ctx)
    assert "repeated_text" not in rules_of("Thanks!", GuardContext(previous_texts=("Thanks!",)))


def test_repeated_template() -> None:
    ctx = GuardContext(template_id="apology-1", previous_template_ids=("apology-1",))
    found = only("repeated_text", "Sorry for the trouble.", ctx)
    assert found and "template" in found[0].message
    edited = GuardContext(
        template_id="apology-1",
        previous_template_ids=("apology-1",),
        template_text="Sorry for the trouble.",
    )
    assert "repeated_text" not in rules_of("Sorry Jo, the 6pm train is cancelled; we rebooked you at 7pm.", edited)
    assert "repeated_text" not in rules_of("Sorry for the trouble.", GuardContext(template_id="apology-1"))


# --- wrong_language --------------------------------------------------------------------------------


def test_wrong_language_from_customer_text() -> None:
    ctx = GuardContext(customer_text="Bonjour, mon vol a été annulé et je ne sais pas quoi faire.")
    found = only("wrong_language", "Thank you for flying with us, we hope to see you again very soon.", ctx)
    assert found and "French" in found[0].message
    ctx_en = GuardContext(customer_text="Hello, my flight was cancelled and I do not know what to do now.")
    assert "wrong_language" in rules_of("Bonjour, nous sommes désolés pour l'annulation de votre vol.", ctx_en)


def test_wrong_language_from_context_and_ui_language() -> None:
    ctx = GuardContext(customer_language="fr", ui_language="fr")
    found = only("wrong_language", "We are so sorry about the delay of your flight this morning.", ctx)
    assert found and "français" in found[0].message and "anglais" in found[0].message


def test_wrong_language_negative() -> None:
    ctx = GuardContext(customer_language="fr")
    assert "wrong_language" not in rules_of("Nous sommes désolés pour le retard de votre vol.", ctx)
    assert "wrong_language" not in rules_of("Merci !", ctx)  # too short to tell
    ctx_en = GuardContext(customer_text="My flight was delayed again this morning, what is going on?")
    assert "wrong_language" not in rules_of("We're sorry about the delay, let us check what happened.", ctx_en)


# --- too_long and window_closed --------------------------------------------------------------------


def test_too_long_characters() -> None:
    found = only("too_long", "x" * 290, GuardContext(max_length=280, network="x"))
    assert found and found[0].span == (280, 290) and found[0].severity == "block"
    assert "x" * 280 and not only("too_long", "x" * 280, GuardContext(max_length=280))


def test_too_long_graphemes() -> None:
    family = "👨‍👩‍👧‍👦"  # 7 code points, one grapheme
    accented = "e\u0301"  # e + combining acute: one grapheme
    draft = (family + accented) * 150  # 300 graphemes
    ctx = GuardContext(max_length=300, length_unit="graphemes", network="bluesky")
    assert not only("too_long", draft, ctx)
    found = only("too_long", draft + "!", ctx)
    assert found and found[0].span == (len(draft), len(draft) + 1)
    assert "301" in found[0].message
    # counted in characters the same draft is far over
    assert only("too_long", draft, GuardContext(max_length=300))


def test_window_closed() -> None:
    found = only("window_closed", "Hello", GuardContext(window_open=False, window_reason="24-hour window"))
    assert found and "24-hour window" in found[0].message
    fr = only("window_closed", "Bonjour", GuardContext(window_open=False, ui_language="fr"))
    assert fr and fr[0].message.startswith("Le réseau")
    assert not only("window_closed", "Hello", GuardContext(window_open=True))
    assert not only("window_closed", "Hello", GuardContext(window_open=None))


# --- unauthorised_promise --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "draft",
    [
        "We will refund your ticket today.",
        "I've issued a voucher for your next trip.",
        "Nous allons vous rembourser le billet.",
        "Vous recevrez un bon d'achat de 20 euros.",
    ],
)
def test_unauthorised_promise_positive(draft: str) -> None:
    found = only("unauthorised_promise", draft, GuardContext(agent_permissions=frozenset()))
    assert found and found[0].fix == Fix(kind="action", action="request_approval")


@pytest.mark.parametrize(
    "draft",
    [
        "Unfortunately we can't refund this fare.",
        "I'll check whether you're eligible for a refund.",
        "Nous ne pouvons pas vous rembourser ce billet.",
        "Les remboursements prennent 7 jours.",
    ],
)
def test_unauthorised_promise_negative(draft: str) -> None:
    assert "unauthorised_promise" not in rules_of(draft, GuardContext(agent_permissions=frozenset()))


def test_promise_allowed_with_permission_or_unknown() -> None:
    draft = "We will refund your ticket today."
    assert "unauthorised_promise" not in rules_of(draft, GuardContext(agent_permissions=frozenset({"refund"})))
    assert "unauthorised_promise" not in rules_of(draft)  # permissions unknown


def test_custom_promise_rules() -> None:
    settings = GuardSettings(promise_rules=(PromiseRule("upgrade", ("upgrade*", "surclass*")),))
    ctx = GuardContext(agent_permissions=frozenset())
    assert "unauthorised_promise" in rules_of("We will upgrade you to business.", ctx, settings)
    assert "unauthorised_promise" in rules_of("Nous allons vous surclasser.", ctx, settings)
    assert "unauthorised_promise" not in rules_of("We will refund you.", ctx, settings)


# --- tone of voice ---------------------------------------------------------------------------------


def test_tone_words() -> None:
    settings = GuardSettings(
        words_to_avoid=("unfortunately", "malheureusement", "policy"), word_replacements={"unfortunately": "sadly"}
    )
    found = only("tone_words", "Unfortunately, that is our policy.", settings=settings)
    assert [f.span for f in found] == [(0, 13), (27, 33)]
    assert found[0].fix is not None and found[0].fix.apply("Unfortunately, that is our policy.", found[0].span) == (
        "sadly, that is our policy."
    )
    assert only("tone_words", "Malheureusement, non.", settings=settings)
    assert not only("tone_words", "Fortunately it worked.", settings=settings)


def test_tone_signoff() -> None:
    pattern = GuardSettings(signoff_required=True, signoff_pattern=r"^-\w+$")
    assert only("tone_signoff", "Your flight is confirmed.", settings=pattern)
    assert not only("tone_signoff", "Your flight is confirmed.\n-JD", settings=pattern)
    initials = GuardSettings(signoff_required=True, signoffs=("^{agent_initials}",))
    ctx = GuardContext(agent_initials="JD")
    found = only("tone_signoff", "Votre vol est confirmé.", ctx, initials)
    assert found and found[0].fix is not None and found[0].fix.text == "Votre vol est confirmé. ^JD"
    assert not only("tone_signoff", "Votre vol est confirmé. ^JD", ctx, initials)
    placeholder = GuardSettings(signoff_required=True, signoff_pattern=r"\*{agent_initials}$")
    assert not only("tone_signoff", "Done! *JD", ctx, placeholder)
    assert only("tone_signoff", "Done! *AB", ctx, placeholder)


def test_tone_address() -> None:
    vous = GuardSettings(address_form="vous")
    found = only("tone_address", "Peux-tu nous envoyer ton numéro ?", settings=vous)
    draft = "Peux-tu nous envoyer ton numéro ?"
    assert {draft[f.span[0] : f.span[1]] for f in found if f.span} >= {"Peux-tu", "ton"}
    assert not only("tone_address", "Pouvez-vous nous envoyer votre numéro ?", settings=vous)
    tu = GuardSettings(address_form="tu")
    assert only("tone_address", "Pouvez-vous nous envoyer votre numéro de commande ?", settings=tu)
    assert not only("tone_address", "Peux-tu nous envoyer ton numéro de commande ?", settings=tu)
    # English drafts are left alone
    assert not only("tone_address", "We had a ton of requests today, thanks for waiting.", settings=vous)


def test_tone_emoji() -> None:
    settings = GuardSettings(emoji_allowed=False)
    draft = "Merci 🙏 à bientôt 👨‍👩‍👧!"
    found = only("tone_emoji", draft, settings=settings)
    assert len(found) == 2
    assert found[0].fix is not None and found[0].fix.text == "Merci à bientôt !"
    assert not only("tone_emoji", draft)
    assert not only("tone_emoji", "Thanks :) see you", settings=settings)


# --- engine ----------------------------------------------------------------------------------------


def test_severity_override_and_disabled_rules() -> None:
    draft = "Please contact customer service."
    assert only("send_elsewhere", draft, settings=GuardSettings(severity={"send_elsewhere": "block"}))[0].severity == (
        "block"
    )
    assert not only("send_elsewhere", draft, settings=GuardSettings(disabled=frozenset({"send_elsewhere"})))


def test_rule_registry() -> None:
    ids = rule_ids()
    assert len(ids) == len(set(ids)) == len(RULES)
    for expected in (
        "office_hours",
        "send_elsewhere",
        "review_bargain",
        "asks_personal_data",
        "echoes_personal_data",
        "no_acknowledgement",
        "blame",
        "repeated_text",
        "wrong_language",
        "too_long",
        "window_closed",
        "unauthorised_promise",
        "tone_words",
        "tone_signoff",
        "tone_address",
        "tone_emoji",
    ):
        assert expected in ids


def test_findings_sorted_and_serialisable() -> None:
    draft = "Please contact customer service. Could you leave us 5 stars?"
    found = check(draft, GuardContext(window_open=False))
    assert [f.rule for f in found] == ["send_elsewhere", "review_bargain", "window_closed"]
    d = found[0].to_dict()
    assert d["span"] == [7, 31] and d["fix"] == {"kind": "action", "text": None, "action": "escalate"}


def test_messages_in_french() -> None:
    found = check("Please contact customer service.", GuardContext(ui_language="fr-FR"))
    assert found[0].message.startswith("Ce message renvoie")


def test_empty_draft() -> None:
    assert check("") == []


def test_settings_from_mapping() -> None:
    s = GuardSettings.from_mapping(
        {
            "severity": {"blame": "block"},
            "disabled": ["tone_emoji"],
            "words_to_avoid": ["policy"],
            "address_form": "vous",
            "promise_rules": {"refund": ["refund*"]},
        }
    )
    assert s.severity["blame"] == "block" and "tone_emoji" in s.disabled
    assert s.promise_rules == (PromiseRule("refund", ("refund*",)),)
    with pytest.raises(ValueError):
        GuardSettings.from_mapping({"severity": {"blame": "fatal"}})
    with pytest.raises(ValueError):
        GuardSettings.from_mapping({"colour": "red"})


def test_customer_text_is_only_read() -> None:
    hostile = "{what} {0} %s <script>alert(1)</script> " * 50
    found = check("Your flight is on time.", GuardContext(customer_text=hostile, customer_intent="complaint"))
    assert all("<script>" not in f.message for f in found)
