"""The api function: generate, status, list, retry, review and the data routes."""

import functions_framework

from trendreel.api.app import handle_request

handle = functions_framework.http(handle_request)
