"""The public portal: published reply letters, read-only, without signing in."""
