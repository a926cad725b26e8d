"""The sweeper function: Cloud Scheduler calls it every few minutes to re-drive stuck jobs."""

import functions_framework

from trendreel.sweeper_http import sweeper_handler

handle = functions_framework.http(sweeper_handler())
