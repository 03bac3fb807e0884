"""The JSON API: bearer tokens, read-only endpoints and their OpenAPI description."""
