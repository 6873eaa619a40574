/* customer: issue 18 (owned by the customer work) */
