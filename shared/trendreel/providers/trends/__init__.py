"""trends providers."""
