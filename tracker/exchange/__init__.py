"""Import and export: spreadsheets, the case exchange format (JSON), archive bundles."""
