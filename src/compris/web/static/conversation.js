/* conversation: issue 18 (owned by the conversation work) */
