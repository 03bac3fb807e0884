"""Proposals, suggestions, assignments and the case workflow."""
