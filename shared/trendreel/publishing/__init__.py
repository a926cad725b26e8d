"""Publishing approved videos: pure transitions, the publish function's delivery protocol, and
the metrics that come back."""
