"""Sessions, handling units and proposers."""
