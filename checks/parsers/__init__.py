"""Pure functions from what a phone prints to values; none of them raises on any text."""
