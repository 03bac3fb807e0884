"""Contact logs with proposers, and their feedback on the handling."""
