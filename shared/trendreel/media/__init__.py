"""Media: timeline planning (pure), compositing, audio, encoding and quality checks."""
