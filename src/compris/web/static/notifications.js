/* notifications: issue 18 (owned by the notifications work) */
