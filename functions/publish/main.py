"""The publish function: posts approved videos to YouTube and TikTok, delivered to by Cloud Tasks."""

import functions_framework

from trendreel.publishing.http import publish_handler

handle = functions_framework.http(publish_handler())
