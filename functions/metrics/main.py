"""The metrics function: Cloud Scheduler calls it hourly to read published videos' numbers."""

import functions_framework

from trendreel.sweeper_http import metrics_handler

handle = functions_framework.http(metrics_handler())
