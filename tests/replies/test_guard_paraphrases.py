"""Reply guard: the same intent phrased otherwise (issue 20). Sentences written from the rules' definitions, in
other words than test_guard.py: polite invitations, suggestions, third parties, posts and comments rather than
"reviews", and hard negatives (the agent doing it, moves to private, neutral invitations, statements)."""

from __future__ import annotations

import pytest

from compris.replies.guard import Finding, Fix, GuardContext, check

PUBLIC = GuardContext()


def found(rule: str, draft: str, ctx: GuardContext = PUBLIC) -> list[Finding]:
    return [f for f in check(draft, ctx) if f.rule == rule]


# --- office_hours ----------------------------------------------------------------------------------

OFFICE_POSITIVE = [
    "Our phone agents pick up from 8am to 8pm, give them a ring then.",
    "The team that handles this works weekdays only, so expect an answer on Monday.",
    "We're offline for the night now; someone will get back to you in the morning.",
    "Our chat is staffed 7am–10pm ET.",
    "Support opens again at 9 tomorrow morning, please reach out then.",
    "Our lines reopen on Monday at 8:00.",
    "The billing folks are in from 9 to 5, Monday through Friday.",
    "We're not around at weekends, but we'll look at it first thing Monday.",
    "Our agents are here between 8:00 and 18:00 to help.",
    "Our office is shut for the weekend, so the earliest we can look is Monday.",
    "The helpline is open until 6pm today.",
    "Nos conseillers vous répondent de 8h à 20h.",
    "Le service est ouvert en semaine uniquement, nous reviendrons vers vous lundi.",
    "Notre équipe est joignable du lundi au samedi, de 9h à 19h.",
    "Nous ne sommes pas disponibles le week-end, nous vous répondrons lundi.",
    "Rappelez-nous demain à partir de 9h, nos lignes seront ouvertes.",
    "Nos bureaux rouvrent lundi matin.",
    "Le standard est fermé pour la nuit, réessayez demain.",
    "Notre hotline fonctionne de 9h à 18h en semaine.",
    "Nous revenons vers vous dès la réouverture de nos services lundi.",
    "Nos équipes sont absentes le dimanche, revenez vers nous lundi.",
]

OFFICE_NEGATIVE = [
    "We're here around the clock, what can we do for you?",
    "Your parcel will be delivered between 8am and noon.",
    "The store at Westfield opens at 10am on Sundays.",
    "Boarding starts at 7:15 and the gate closes 20 minutes before departure.",
    "Your refund should arrive within 3 to 5 working days.",
    "The sale runs from Monday to Sunday.",
    "Our team is on it right now and will update you shortly.",
    "Votre colis sera livré entre 9h et 13h.",
    "Le vol AF123 part à 18h10 du terminal 2.",
    "Nos conseillers sont là 7j/7, dites-nous tout.",
    "Le magasin de Lyon est ouvert le dimanche de 10h à 19h.",
    "Le remboursement sera effectué sous 5 jours ouvrés.",
    "We answer messages at any hour, so ping us whenever.",
    "Your connection leaves at 2:45pm from gate B12.",
    "Nous avons traité votre demande ce matin à 9h.",
    "Le train circule du lundi au vendredi uniquement.",
    "Notre équipe reste disponible à toute heure ici même.",
    "The promotion is valid until Friday.",
    "Your new router will be installed tomorrow morning.",
    "La piscine de l'hôtel est ouverte de 8h à 20h.",
    "We'll send you an update by tomorrow morning at the latest.",
]


@pytest.mark.parametrize("draft", OFFICE_POSITIVE)
def test_office_hours_paraphrase(draft: str) -> None:
    hits = found("office_hours", draft)
    assert hits and hits[0].span is not None


@pytest.mark.parametrize("draft", OFFICE_NEGATIVE)
def test_office_hours_hard_negative(draft: str) -> None:
    assert not found("office_hours", draft)


# --- send_elsewhere --------------------------------------------------------------------------------

ELSEWHERE_POSITIVE = [
    "Your best bet is to give the reservations desk a call.",
    "I'd suggest getting in touch with the store where you bought it.",
    "Feel free to ring our billing department on 0345 600 1234.",
    "It's best to speak with the airport staff directly.",
    "You might want to check with the manufacturer about the warranty.",
    "Head over to our website and fill in the claims form.",
    "Pop into your nearest branch and they'll sort it.",
    "Please reach the Lost & Found office in the arrivals hall.",
    "The hotel handles that, so please get in touch with them.",
    "We recommend calling the number on the back of your card.",
    "You could email our complaints team at complaints@example.com.",
    "Drop by the service counter in store and the staff will help.",
    "You may want to contact your bank about this charge.",
    "For this you'll have to go through the airline that sold the ticket.",
    "Je vous invite à contacter directement l'hôtel.",
    "N'hésitez pas à appeler nos conseillers au 09 69 32 15 15.",
    "Le mieux est de vous rendre dans votre boutique la plus proche.",
    "Je vous conseille de joindre le service bagages de l'aéroport.",
    "Vous pouvez remplir le formulaire de réclamation sur notre site.",
    "Il faudra vous adresser au transporteur pour ce colis.",
    "Rapprochez-vous du guichet en gare, ils pourront vous aider.",
    "Merci d'écrire à notre service consommateurs via le formulaire en ligne.",
    "Vous pouvez passer en agence avec votre justificatif.",
]

ELSEWHERE_NEGATIVE = [
    "Send us a DM with your order number and we'll take it from there.",
    "Drop us a private message and I'll look into it personally.",
    "I've reached out to the hotel and they'll call you back today.",
    "We've passed this on to our baggage team, who will contact you.",
    "Our engineers will get in touch with you by tomorrow.",
    "Did the store give you a receipt?",
    "The airport staff told us your bag is on the next flight.",
    "J'ai transmis votre dossier à notre service client, il vous rappellera.",
    "Écrivez-nous en message privé, nous nous en occupons.",
    "Nous avons contacté l'agence, elle vous recontacte demain.",
    "Avez-vous pu joindre le service bagages ?",
    "Our store team was glad to help you last week!",
    "The manufacturer has confirmed the fix ships next week.",
    "Nous allons appeler le fabricant pour vous.",
    "Thanks for visiting our Paris store yesterday!",
    "Votre conseiller vous appellera dans l'heure.",
    "Reply here and we'll handle it from start to finish.",
    "Vous pouvez nous répondre ici, nous suivons votre dossier.",
    "We'll call you on the number on your account within the hour.",
    "Tell us more in DM and we'll check with the warehouse.",
    "Le formulaire que vous avez rempli est bien arrivé chez nous.",
    "Feel free to message us here any time.",
]


@pytest.mark.parametrize("draft", ELSEWHERE_POSITIVE)
def test_send_elsewhere_paraphrase(draft: str) -> None:
    hits = found("send_elsewhere", draft)
    assert hits and hits[0].fix == Fix(kind="action", action="escalate")


@pytest.mark.parametrize("draft", ELSEWHERE_NEGATIVE)
def test_send_elsewhere_hard_negative(draft: str) -> None:
    assert not found("send_elsewhere", draft)


# --- review_bargain --------------------------------------------------------------------------------

REVIEW_POSITIVE = [
    "If you could post something nice about us on Facebook, that would mean the world.",
    "Would you share a kind word about your stay on Tripadvisor?",
    "We'd love a glowing tweet once your refund lands!",
    "Once the replacement arrives, maybe you could update your post?",
    "Happy to refund you in full if you take the tweet down.",
    "A positive comment from you would really help our small team.",
    "Could you give us a thumbs up on Google now that it's sorted?",
    "Pleased we fixed it! Please consider changing your 1-star rating.",
    "In return for a favourable write-up we can offer a free night.",
    "Would you be willing to edit your comment now?",
    "We'd appreciate it if you could delete your tweet.",
    "Un petit commentaire sympa sur notre page nous ferait très plaisir !",
    "Si vous retirez votre message, nous vous remboursons.",
    "Pourriez-vous publier un mot gentil sur nous sur Google ?",
    "Une fois votre colis reçu, pensez à mettre à jour votre publication.",
    "Nous vous offrons un bon de 20 € en échange de votre avis.",
    "Une recommandation de votre part sur Facebook nous aiderait beaucoup !",
    "Pourriez-vous supprimer votre tweet maintenant que tout est réglé ?",
    "Partagez votre bonne expérience sur les réseaux, ça nous aide énormément !",
    "Seriez-vous d'accord pour revoir votre note à la hausse ?",
    "Mettez-nous la note maximale si vous êtes satisfait !",
]

REVIEW_NEGATIVE = [
    "Thanks a lot for the lovely review, see you soon!",
    "We read every comment and pass them to the kitchen team.",
    "You'll get a short satisfaction survey by email after the chat.",
    "Please delete the post with your card number for your own safety.",
    "Tell us how we did: your feedback helps us improve.",
    "Merci pour votre commentaire, nous le partageons avec l'équipe.",
    "Nous avons bien lu votre avis et nous en tenons compte.",
    "Your review has been forwarded to the hotel manager.",
    "Vous recevrez un questionnaire de satisfaction par e-mail.",
    "Our 5-star rating on Trustpilot reflects our customers' trust.",
    "Please remove your card details from the tweet and DM us instead.",
    "Pour protéger vos données, supprimez la photo de votre billet.",
    "We've updated our post with the new opening times.",
    "Thanks for the kind words, it made the team's day!",
    "Your comment about the noise has been shared with housekeeping.",
    "Glad you liked it! See you on your next visit.",
    "Nous sommes ravis que le séjour vous ait plu, merci pour les 5 étoiles !",
    "Posting here is fine, we'll reply to every comment.",
    "Merci d'avoir pris le temps de laisser une note.",
    "Could you delete the tweet with your booking reference and send it by DM?",
    "Nous avons supprimé le message publié par erreur sur notre page.",
]


@pytest.mark.parametrize("draft", REVIEW_POSITIVE)
def test_review_bargain_paraphrase(draft: str) -> None:
    hits = found("review_bargain", draft)
    assert hits and hits[0].severity == "block"


@pytest.mark.parametrize("draft", REVIEW_NEGATIVE)
def test_review_bargain_hard_negative(draft: str) -> None:
    assert not found("review_bargain", draft)


def test_review_bargain_fix_keeps_the_rest() -> None:
    draft = "@lea Your new card is on its way. A positive comment from you would really help our small team. Bye!"
    hit = found("review_bargain", draft)[0]
    assert hit.fix is not None and hit.fix.kind == "replace_draft"
    assert hit.fix.apply(draft, hit.span) == "@lea Your new card is on its way. Bye!"


# --- asks_personal_data ----------------------------------------------------------------------------

DATA_POSITIVE = [
    "Can you reply with the email linked to your account?",
    "What name is the booking under?",
    "Drop your order # below and we'll chase it.",
    "Please tweet us the last four digits of the card used.",
    "Which address was the parcel going to?",
    "Mind sharing the phone number on the account?",
    "Let us know your membership number and we'll add the points.",
    "We'll need your date of birth to verify the account.",
    "Pop your postcode here so we can check coverage.",
    "Send over your six-character confirmation code and we'll look.",
    "Please post your tracking number in this thread.",
    "Pouvez-vous nous donner le mail associé à votre compte ?",
    "À quel nom est la réservation ?",
    "Indiquez-nous votre numéro de commande en réponse.",
    "Quelle est l'adresse de livraison indiquée sur la commande ?",
    "Donnez-nous votre numéro de client pour que nous vérifiions.",
    "Merci de répondre avec votre code postal.",
    "Pourriez-vous nous préciser votre date de naissance ?",
    "Envoyez-nous le numéro de suivi ici, on regarde.",
    "Nous aurons besoin de votre numéro de ligne pour vérifier.",
    "Quel est le numéro de téléphone rattaché à votre compte ?",
]

DATA_NEGATIVE = [
    "Send us your order number in a DM and we'll look.",
    "Pouvez-vous nous écrire en MP avec votre numéro de commande ?",
    "Please never share your card details on social media.",
    "Your tracking number is in the confirmation email we sent.",
    "What's the flight number and date?",
    "Which store did you visit?",
    "Ne publiez pas votre numéro de client ici, écrivez-nous en privé.",
    "We've updated the email address on your account as you asked.",
    "Pour des raisons de sécurité, ne partagez jamais votre mot de passe.",
    "Could you tell us which city you're flying from?",
    "Quel modèle de téléphone utilisez-vous ?",
    "Have you received the email we sent?",
    "Click the secure link we sent to update your address.",
    "Is the app showing an error?",
    "Pouvez-vous nous dire à quelle heure le livreur est passé ?",
    "What did the agent at the counter tell you?",
    "Please check the spam folder of your inbox.",
    "Can you confirm the issue is fixed on your side?",
    "Votre numéro de dossier figure dans l'e-mail de confirmation.",
    "Could you DM us the phone number on the account?",
    "Dites-nous en message privé votre adresse de livraison.",
]


@pytest.mark.parametrize("draft", DATA_POSITIVE)
def test_asks_personal_data_paraphrase(draft: str) -> None:
    hits = found("asks_personal_data", draft)
    assert hits and hits[0].fix == Fix(kind="action", action="move_to_private")


@pytest.mark.parametrize("draft", DATA_NEGATIVE)
def test_asks_personal_data_hard_negative(draft: str) -> None:
    assert not found("asks_personal_data", draft)


@pytest.mark.parametrize("draft", DATA_POSITIVE[:5])
def test_asks_personal_data_paraphrase_fine_in_private(draft: str) -> None:
    assert not found("asks_personal_data", draft, GuardContext(public=False))


# --- no_acknowledgement: any customer who reported a problem ---------------------------------------


@pytest.mark.parametrize(
    ("customer", "intent"),
    [
        ("I want to cancel my order, it never arrived.", "cancellation"),
        ("Mon colis n'est jamais arrivé, je veux être remboursé.", "refund"),
        ("My flight was cancelled and I need my money back", "refund"),
    ],
)
def test_request_reporting_a_failure_gets_the_empathy_check(customer: str, intent: str) -> None:
    ctx = GuardContext(customer_text=customer, customer_intent=intent)
    hits = found("no_acknowledgement", "Your request number is 4411.", ctx)
    assert hits and hits[0].fix is not None and hits[0].fix.kind == "replace_draft"
    assert not found("no_acknowledgement", "Sorry about that, your request number is 4411.", ctx)


def test_plain_request_without_a_failure_needs_no_apology() -> None:
    ctx = GuardContext(
        customer_text="Hi, I'd like to change the date of my booking please.", customer_intent="question"
    )
    assert not found("no_acknowledgement", "Done, your new date is the 14th.", ctx)


# --- review_bargain: a public review asked for at all (LABELLING.md), not a survey ---------------------


@pytest.mark.parametrize(
    "draft",
    [
        "If you have a minute, please leave us a review on Google.",
        "Laissez-nous un avis sur notre fiche, ça compte beaucoup.",
        "Tell your friends about us!",
        "N'hésitez pas à nous évaluer : notez-nous sur l'App Store.",
    ],
)
def test_review_request_even_neutral(draft: str) -> None:
    assert found("review_bargain", draft)


@pytest.mark.parametrize(
    "draft",
    [
        "Please rate your chat with us in the short survey that follows.",
        "Vous recevrez une enquête de satisfaction : votre avis nous aide à progresser.",
        "We will review your claim and get back to you.",
        "Our team reads every review we get.",
    ],
)
def test_survey_and_our_own_reviewing_are_not_review_requests(draft: str) -> None:
    assert not found("review_bargain", draft)


# --- more of the same, mixed rules: self-service and the agent's own moves are not deflections ---------


@pytest.mark.parametrize(
    ("rule", "draft"),
    [
        ("send_elsewhere", "That's not something we handle here; please reach out to our billing department."),
        ("send_elsewhere", "Unfortunately we can't help with that on Twitter, please contact our support line."),
        ("send_elsewhere", "You might want to try the Apple Store for that."),
        ("send_elsewhere", "Nous ne traitons pas ce type de demande ici, merci de contacter le SAV."),
        ("send_elsewhere", "Je vous conseille de voir avec votre banque."),
        ("send_elsewhere", "Our gate team will be happy to assist you with that."),
        ("office_hours", "Our team is offline until tomorrow morning."),
        ("office_hours", "Le service client est fermé le dimanche."),
        ("asks_personal_data", "Reply with your order number and postcode."),
        ("asks_personal_data", "name, ZIP code and phone number please. 2/2"),
        ("review_bargain", "A quick shout-out on Instagram would make our day!"),
        ("review_bargain", "Would you mind removing your tweet?"),
    ],
)
def test_more_paraphrases(rule: str, draft: str) -> None:
    assert found(rule, draft)


@pytest.mark.parametrize(
    "draft",
    [
        "You can track your parcel on our website.",
        "Check your flight status at example.com/status.",
        "You can manage your booking in the app.",
        "Vous pouvez suivre votre colis sur notre site.",
        "We'll ask the hotel to call you.",
        "Let me check with the warehouse and get back to you.",
        "Our team will reach out to you by email within 24 hours.",
        "Our gate team will take care of this and get you going.",
        "You'll be able to use them on board as long as they're in flight mode.",
        "If you have several credits under your conf # it counts them one by one.",
        "Please contact the travel agent you booked with to have your name amended.",
        "The Baggage Office closes at 2 am.",
    ],
)
def test_more_hard_negatives(draft: str) -> None:
    rules = {f.rule for f in check(draft)}
    assert not rules & {"office_hours", "review_bargain", "asks_personal_data"}
    # the travel agent one does send the customer elsewhere: only its name is not asked for
    assert ("send_elsewhere" in rules) == ("contact the travel agent" in draft)


# --- statements that send elsewhere ("your bank will be able to help", "c'est l'agence qui pourra vous aider") ----

STATEMENTS_ELSEWHERE = [
    "The best people to help with this are our Customer Relations team on 0344 493 0787.",
    "For anything related to your hotel booking, it's the hotel you'll need to speak to.",
    "Your travel agent is best placed to help with this.",
    "Head to the Baggage Services Office in arrivals and they'll log it.",
    "The team at the desk can sort that for you.",
    "Give the store a ring.",
    "Could you drop our refunds team an email at refunds@x.com?",
    "Please direct your query to the airline operating the flight.",
    "Ring 0800 123 456 and choose option 2.",
    "Call 1-800-555-0100 for help with this.",
    "Appelez le 3635.",
    "Il faut voir ça avec le service après-vente.",
    "C'est l'agence de voyage qui pourra vous aider.",
    "Nos collègues du service bagages sont les mieux placés pour vous répondre : 01 23 45 67 89.",
    "Your bank will be able to help you with that charge.",
    "You'd need to speak to someone at the station.",
    "We recommend getting in touch with Visa directly.",
    "Please raise a ticket through our support portal.",
    "Submit a complaint via our website.",
]


@pytest.mark.parametrize("draft", STATEMENTS_ELSEWHERE)
def test_send_elsewhere_statements(draft: str) -> None:
    assert found("send_elsewhere", draft)


@pytest.mark.parametrize(
    "draft",
    [
        "Our team will help you as soon as possible.",
        "Our team can look into this for you right away.",
        "The airline can't change this from our side, but we've asked them to.",
        "Notre équipe va vous aider, merci de patienter.",
    ],
)
def test_our_own_team_is_not_elsewhere(draft: str) -> None:
    assert not found("send_elsewhere", draft)


# --- the labelling guide's own examples (tests/replies/data/LABELLING.md) ---------------------------------


@pytest.mark.parametrize(
    ("rule", "draft"),
    [
        ("office_hours", "The office is closed for the weekend; we'll pick this up on Monday."),
        ("office_hours", "Our specialists are available 8am-8pm ET at 1-800-555-0100."),
        ("send_elsewhere", "Our specialists are available 8am-8pm ET at 1-800-555-0100."),
        ("send_elsewhere", "You'll want to take that up with the travel agency you booked with."),
        ("send_elsewhere", "Please fill in the claim form at example.com/claims and the team will review it."),
        ("review_bargain", "If you enjoyed your stay, a 5-star review would mean the world to us!"),
        ("review_bargain", "We'll send you a voucher if you can take down the tweet."),
        ("review_bargain", "We'll refund you once the tweet is removed."),
        ("asks_personal_data", "Can you tell us the e-mail address on the account?"),
        ("asks_personal_data", "Might you have a confirmation number?"),
    ],
)
def test_guide_positives(rule: str, draft: str) -> None:
    assert found(rule, draft)


@pytest.mark.parametrize(
    ("rule", "draft"),
    [
        ("office_hours", "I'm signing off for tonight, a colleague will follow up here."),
        ("office_hours", "The lounge in Terminal 3 opens at 5am."),
        ("send_elsewhere", "You can check your flight status at example.com/status."),
        ("send_elsewhere", "I've passed this on to our baggage team, they'll contact you."),
        ("review_bargain", "For your security, please delete the tweet showing your card number."),
        ("review_bargain", "You'll get a short survey about this chat."),
        ("asks_personal_data", "Follow us and send a DM. Please include your order number."),
        ("asks_personal_data", "Do you have a Customer Relations reference?"),
    ],
)
def test_guide_negatives(rule: str, draft: str) -> None:
    assert not found(rule, draft)


# --- French, phrased otherwise ----------------------------------------------------------------------------

FRENCH = {
    "send_elsewhere": [
        "Je vous invite à vous rapprocher de votre conseiller bancaire.",
        "Pour toute question sur votre facture, contactez le 3900.",
        "Vous pouvez joindre nos conseillers par téléphone au 09 70 80 90 00.",
        "Le plus simple est de passer en boutique.",
        "Merci de vous adresser directement au vendeur Marketplace.",
        "Votre agence saura vous répondre.",
        "Il vous faudra faire une réclamation auprès de la SNCF.",
        "Pensez à signaler le problème au personnel de bord.",
        "Rendez-vous sur notre site, rubrique contact, pour nous écrire.",
        "Nous vous conseillons de prendre contact avec l'hôtel.",
        "Je vous recommande d'appeler votre banque.",
        "N'hésitez pas à vous rendre au comptoir Air France de l'aéroport.",
        "Veuillez écrire à reclamations@exemple.fr.",
        "C'est le transporteur qu'il faut contacter.",
    ],
    "review_bargain": [
        "Si vous êtes content de notre service, un avis positif sur Google nous ferait plaisir !",
        "Pourriez-vous mettre à jour votre avis maintenant que le problème est résolu ?",
        "Nous vous offrons un bon de réduction si vous retirez votre commentaire.",
        "Un petit mot sympa sur Trustpilot ?",
        "N'hésitez pas à parler de nous autour de vous !",
        "Laissez-nous 5 étoiles sur l'App Store !",
        "Seriez-vous d'accord pour supprimer votre message ?",
        "Une bonne note de votre part nous aiderait beaucoup.",
        "Et si vous partagiez votre expérience sur notre page Facebook ?",
        "Une fois le remboursement reçu, pourriez-vous modifier votre publication ?",
    ],
    "office_hours": [
        "Notre service client est ouvert du lundi au vendredi de 9h à 18h.",
        "Nos conseillers vous répondront demain matin, le service étant fermé le soir.",
        "Nous sommes joignables en semaine uniquement.",
        "Nos équipes reviennent vers vous lundi, le service étant fermé le week-end.",
        "Merci de rappeler demain entre 8h et 20h.",
        "Le service est indisponible le dimanche.",
    ],
    "asks_personal_data": [
        "Pouvez-vous nous indiquer votre numéro de client ?",
        "Quelle est votre adresse e-mail ?",
        "Donnez-nous votre nom et votre date de naissance.",
        "Merci d'indiquer ici votre numéro de commande.",
        "Votre numéro de téléphone, s'il vous plaît ?",
        "Indiquez-nous l'adresse de livraison et le code postal.",
    ],
}


@pytest.mark.parametrize(("rule", "draft"), [(rule, draft) for rule, drafts in FRENCH.items() for draft in drafts])
def test_french_paraphrases(rule: str, draft: str) -> None:
    assert found(rule, draft)


@pytest.mark.parametrize(
    ("rule", "draft"),
    [
        ("review_bargain", "Can we be of any further help to get your trip back on a better note?"),
        ("send_elsewhere", "You still need to go through the check-in link within 24 hours to claim a boarding pass."),
    ],
)
def test_real_reply_false_alarms_fixed(rule: str, draft: str) -> None:
    # shapes of false alarms seen on the 55k real replies (bench/guard.py), reworded
    assert not found(rule, draft)


# --- the classes the second train round showed (issue 20; sentences written for these tests) ---------------

SECOND_ROUND_POSITIVES = [
    ("office_hours", "They're open M-F 8a-6p ET at 800-555-0100."),
    ("office_hours", "Give our sales line a call on 0800 123 4567, they're open 7.30 until 20.00."),
    ("office_hours", "Customer Relations take calls Monday to Friday, 10:00 to 16:00."),
    ("office_hours", "This team isn't staffed overnight, so it will be picked up after 9 tomorrow."),
    ("office_hours", "Notre hotline (0800 123 456) fonctionne de 8h30 à 17h30 hors jours fériés."),
    ("office_hours", "Nous reprenons les demandes dès lundi 9h."),
    ("send_elsewhere", "To look for seats on a partner, please give our Bookings team a call via 800-555-0100."),
    ("send_elsewhere", "Let our gate agent know and they'll look for a seat together."),
    ("send_elsewhere", "If it keeps happening please contact us here for live help: https://example.com/contact"),
    ("send_elsewhere", "Send us a note here, https://example.com/help and our team will be in touch."),
    ("send_elsewhere", "That doesn't sound right. Please tell us more so we can help: https://example.com/form"),
    ("send_elsewhere", "I'm so sorry for that, please contact your card provider about the charge."),
    ("send_elsewhere", "If it is still pending, we encourage you to contact your banking institution."),
    ("send_elsewhere", "Please check with a crewmember once you are on board."),
    ("send_elsewhere", "As you booked elsewhere, you'll need to follow up with the agent you booked through."),
    ("send_elsewhere", "Can you post this to our community forum so that an engineer can look?"),
    ("send_elsewhere", "The office is back at 8 so please try your call again tomorrow morning."),
    ("send_elsewhere", "An agent at the airport is able to rebook you on the next flight."),
    ("send_elsewhere", "Our airport team will gladly check the options for you."),
    ("send_elsewhere", "I'd advise opening an item not received claim with the seller."),
    ("send_elsewhere", "If you bought it on the store, let's have you reach out here: https://example.com/store-help"),
    ("send_elsewhere", "When we must cancel, our airport team will help you with the options."),
    ("send_elsewhere", "You can take it back to the store with your receipt and they will look at it."),
    ("send_elsewhere", "Alternatively you can return the item to your local store."),
    ("send_elsewhere", "Sorry! Let's get this sorted out via https://example.com/help and we'll be in touch."),
    ("office_hours", "Please give them a call at 800-555-0100; M-F 8a-7p CST."),
    ("asks_personal_data", "Please provide your booking info so we can check the options."),
    ("asks_personal_data", "What is your Sky-miles number please?"),
    ("asks_personal_data", "May I please have your trip confirm #?"),
    ("asks_personal_data", "How does your name appear on your passport?"),
    ("asks_personal_data", "Can you share your SkyMiles account with me?"),
    ("asks_personal_data", "Mind sending the confirmation numbers?"),
    ("asks_personal_data", "Please confirm the number we can contact you on and a good time to call."),
    ("review_bargain", "We'll add 500 bonus points once the one-star review is edited."),
    ("review_bargain", "La livraison est offerte à condition que ce post soit supprimé."),
    ("review_bargain", "Un bon d'achat de 20 € vous attend dès que votre commentaire négatif aura été modifié."),
    ("review_bargain", "Une petite recommandation publique nous aiderait beaucoup !"),
    ("review_bargain", "A nicer comment under our last post would really help us."),
    ("review_bargain", "Et si vous parliez de nous à vos amis ?"),
]

SECOND_ROUND_NEGATIVES = [
    "Did you receive a case reference number when you called?",
    "Were you given a baggage reference at the desk?",
    "Is the mailing address on your account still current?",
    "Please allow me a minute to review your booking details.",
    "We send a confirmation e-mail right after booking so you can check the booking information.",
    "Please DM us here: https://t.co/abc",
    "Send us a DM here: https://t.co/abc and we'll take a look.",
    "Let our team know if there's anything else.",
    "Thanks, we'll send a reply to the e-mail you wrote.",
    "Nous revenons vers vous d'ici demain midi avec une réponse.",
    "Please don't post your booking reference here.",
    "They open at 5am.",
    "You can pay 7.50 to 9.00 for the upgrade.",
    "Si vous avez des questions, parlez-en à notre équipe ici.",
    "Your kind words will make the crew's day.",
    "Please tell me more about what happened (no account number).",
    "Have you tried to reset your password and use your account number and new password to log in?",
    "Please send us your details so our Social Care Team can help you.",
    "Our gate team will take care of this and get you going.",
    "Sit back and relax, our crew will take great care of you.",
    "We all appreciate you taking the time to acknowledge the crew today.",
]


@pytest.mark.parametrize(("rule", "draft"), SECOND_ROUND_POSITIVES)
def test_second_round_classes(rule: str, draft: str) -> None:
    assert found(rule, draft), f"{rule} missed: {draft}"


@pytest.mark.parametrize("draft", SECOND_ROUND_NEGATIVES)
def test_second_round_hard_negatives(draft: str) -> None:
    fired = {f.rule for f in check(draft, PUBLIC)}
    assert not fired & {"office_hours", "send_elsewhere", "asks_personal_data", "review_bargain"}, (draft, fired)
