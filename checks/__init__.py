"""The built-in checks: identity, battery, screen and storage."""
