"""Signed webhooks, so clients need not poll.

A client registers an endpoint (``POST /webhooks``) or a theme config names a ``webhook_url``;
trendreel then POSTs ``job.completed``, ``job.failed``, ``video.approved``, ``video.published``
and ``publication.failed`` events to it, signed with HMAC-SHA256 over a timestamp and the raw
body (``signing``). Each event has a stable id, is stored once (``events.emit``) and delivered
by the ``webhooks`` function (``http``, ``deliver``) through the task queue: at least once, with
the queue's backoff, recorded as undeliverable after the last attempt.

    models     Endpoint, Event, DeliveryRecord, deterministic ids
    signing    headers, signature, ``verify`` for receivers
    urls       which URLs may be called (https; no private addresses on gcp)
    transport  connect only to the checked addresses
    ports      the WebhookStore protocol (adapters: sqlite_webhooks, firestore_webhooks)
    stores     the store and signing secret of a runtime
    events     emit, notify: store the event, queue its deliveries
    deliver    one delivery attempt and the answer to the queue
    http       the function's entry point
"""
