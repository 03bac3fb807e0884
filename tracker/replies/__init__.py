"""Reply letters: drafting, items, revisions, review and sign-off."""
