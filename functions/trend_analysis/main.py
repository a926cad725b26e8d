"""The trend_analysis stage function: one Cloud Run function, delivered to by Cloud Tasks."""

import functions_framework

from trendreel.http import stage_handler
from trendreel.models import Stage

handle = functions_framework.http(stage_handler(Stage.TREND_ANALYSIS))
