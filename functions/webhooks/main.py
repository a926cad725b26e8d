"""The webhooks function: Cloud Tasks delivers one event for one endpoint per task."""

import functions_framework

from trendreel.webhooks.http import webhooks_handler

handle = functions_framework.http(webhooks_handler())
