"""Working days on China's calendar, deadline rules, and whether a case is due."""
