"""The built-in checks: identity, battery, screen, storage and locks."""
