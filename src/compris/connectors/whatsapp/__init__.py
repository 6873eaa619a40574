"""WhatsApp Business Cloud API: messages and statuses in, text replies out within 24 hours."""

from compris.connectors.whatsapp.connector import WhatsAppConnector

__all__ = ["WhatsAppConnector"]
