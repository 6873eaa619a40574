"""E-mail: a mailbox read over IMAP (polling and IDLE), replies over SMTP with proper threading."""

from compris.connectors.email.connector import EmailConnector

__all__ = ["EmailConnector"]
