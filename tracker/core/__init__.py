"""What every module uses and none owns: models, audit, permissions, settings, errors."""
