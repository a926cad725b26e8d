"""music providers."""
