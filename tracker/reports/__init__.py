"""Reports: session statistics, Excel and CSV exports, and the yearly summary text."""
