"""The ``api`` function: generate, jobs, retry, videos and review, trend data, health, OpenAPI.

One route table (``routes.ROUTES``) drives dispatch, authentication and the OpenAPI document, so
the three cannot drift apart. Handlers are short: parse (pydantic, ``extra="forbid"``), apply a
``trendreel.lifecycle`` transition through ``JobStore.update``, enqueue, answer JSON.
"""
