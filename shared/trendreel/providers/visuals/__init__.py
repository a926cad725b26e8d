"""visuals providers."""
