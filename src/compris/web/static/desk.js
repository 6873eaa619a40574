/* desk: issue 18 (owned by the desk work) */
