"""Background jobs: long work (archive bundles, PDF batches, large imports) with progress."""
