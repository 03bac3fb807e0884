"""Turning letters into PDF and DOCX: fonts, the safe fetcher, archival copies."""
