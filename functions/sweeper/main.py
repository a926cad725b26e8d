"""The sweeper function: Cloud Scheduler calls it every few minutes to re-drive stuck jobs."""

import functions_framework

from trendreel.sweeper_http import handle_sweep

handle = functions_framework.http(handle_sweep)
