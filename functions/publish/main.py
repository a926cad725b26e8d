"""The publish function: posts approved videos to YouTube and TikTok; Cloud Tasks delivers."""

import functions_framework

from trendreel.publishing.http import publish_handler

handle = functions_framework.http(publish_handler())
