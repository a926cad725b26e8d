"""The api function: generate, status, list, retry, review and the data routes."""

import functions_framework

from trendreel.api.app import api_handler

handle = functions_framework.http(api_handler())
