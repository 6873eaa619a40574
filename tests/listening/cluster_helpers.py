"""Feeding a workspace customer messages for the clustering tests."""

from __future__ import annotations

import uuid
from datetime import datetime

from compris.connectors.base import Author, InboundMessage, Visibility
from compris.inbox import actions as inbox
from compris.models import ChannelAccount
from tests.conftest import World

FR_PARCELS = [
    "Toujours pas reçu ma commande", "Mon colis n'est jamais arrivé", "Ça fait 3 semaines que j'attends mon colis",
    "Commande toujours pas livrée !!", "Le suivi dit livré mais je n'ai rien reçu", "Où est mon colis ? Rien reçu",
    "Je n'ai toujours pas reçu ma livraison", "Ma commande n'arrive pas, c'est inadmissible",
    "Colis introuvable depuis 10 jours", "Quand est-ce que je vais recevoir ma commande ?",
]
NORMAL = [
    ("Your agent was so rude to me on the phone", "en"), ("I was charged twice on my bill this month", "en"),
    ("My flight is delayed 5 hours, no information at the gate", "en"), ("Thank you for the great help today!", "en"),
    ("Can I change the shipping address of my account?", "en"), ("Do you have this jacket in size M?", "en"),
    ("Vous m'avez facturé deux fois ce mois-ci", "fr"), ("Votre conseiller a été très impoli au téléphone", "fr"),
    ("Merci beaucoup pour votre réactivité !", "fr"), ("Est-ce que le magasin de Lyon est ouvert dimanche ?", "fr"),
    ("Mon vol est retardé de 3 heures, aucune info", "fr"), ("L'application plante depuis la mise à jour", "fr"),
]


def customer_writes(world: World, text: str, *, author: str, at: datetime, message_id: str | None = None,
                    kind: str = "post") -> int | None:
    """One customer message through ``record_inbound``; its message id (None when already stored)."""
    mid = message_id or uuid.uuid4().hex[:12]
    with world.runtime.db.transaction() as session:
        account = session.get(ChannelAccount, world.account.id)
        assert account is not None
        message = inbox.record_inbound(session, world.runtime.publisher, account, InboundMessage(
            platform_message_id=mid, thread_key=f"dm-{author}" if kind == "dm" else f"post-{mid}",
            visibility=Visibility.PRIVATE if kind == "dm" else Visibility.PUBLIC,
            author=Author(platform_user_id=author, handle=f"@{author}", name=author.title()), text=text,
            created_at=at))
        return message.id if message is not None else None
