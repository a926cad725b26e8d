"""Publishing to platforms: YouTube Shorts (Data API v3) and TikTok (Content Posting API)."""
