"""The route table: dispatch, authentication and the OpenAPI document all read it.

``ROUTES`` is the JSON API (all of it in the OpenAPI document); ``UI_ROUTES`` serve the review
dashboard's static files, public and left out of the document; ``ALL_ROUTES`` is what the api
dispatches and authenticates.
"""

from __future__ import annotations

import flask

from trendreel.api import (
    inputs,
    media,
    openapi,
    routes_data,
    routes_jobs,
    routes_ui,
    routes_videos,
    routes_webhooks,
)
from trendreel.api.health import health
from trendreel.api.routing import Call, Route
from trendreel.api.schemas import (
    GenerateAccepted,
    GenerateRequest,
    HealthResponse,
    JobDetail,
    JobList,
    JobsQuery,
    MediaQuery,
    NoQuery,
    PublishBody,
    RetryAccepted,
    RetryRequest,
    ReviewRequest,
    TrendReportResponse,
    TrendsQuery,
    TrendsResponse,
    VideoDetail,
    VideoList,
    VideoMetrics,
    VideosQuery,
    VideoSummary,
)
from trendreel.http import json_response

IDEMPOTENCY_KEY = ("Idempotency-Key", "a repeat with the same key returns the same job")
SCHEDULER = ("X-CloudScheduler", "set by Cloud Scheduler: the job is recorded as scheduled")
RANGE_HEADERS = (
    ("Range", "one byte range, e.g. bytes=0-1023, bytes=1024- or bytes=-500"),
    ("If-Range", "the ETag of a partial copy; a mismatch sends the whole file"),
)


def openapi_document(call: Call) -> flask.Response:
    inputs.parse_query(call.request, NoQuery)
    return json_response(200, openapi.document(ROUTES))


ROUTES: list[Route] = [
    Route("GET", "/health", health, "Health of the job store, queue and blob store", "system",
          access="public", query=NoQuery, response=HealthResponse, same_body_statuses=(503,)),
    Route("GET", "/openapi.json", openapi_document, "This OpenAPI document", "system",
          query=NoQuery),
    Route("POST", "/generate", routes_jobs.generate, "Create a job and queue its first stage",
          "jobs", body=GenerateRequest, response=GenerateAccepted, status=202,
          errors=(400, 413, 503), headers=(IDEMPOTENCY_KEY, SCHEDULER)),
    Route("GET", "/jobs", routes_jobs.list_jobs, "List jobs, newest first", "jobs",
          query=JobsQuery, response=JobList, errors=(400,)),
    Route("GET", "/jobs/<job_id>", routes_jobs.get_job, "A job's status, stages and artifacts",
          "jobs", query=NoQuery, response=JobDetail, errors=(400, 404)),
    Route("POST", "/jobs/<job_id>/retry", routes_jobs.retry_job,
          "Resume a failed job from its first incomplete stage", "jobs", body=RetryRequest,
          response=RetryAccepted, status=202, errors=(400, 404, 413, 503)),
    Route("GET", "/videos", routes_videos.list_videos, "List finished videos", "videos",
          query=VideosQuery, response=VideoList, errors=(400,)),
    Route("GET", "/videos/<video_id>", routes_videos.get_video,
          "A video: script, topic, QC, cost and media links", "videos", query=NoQuery,
          response=VideoDetail, errors=(400, 404)),
    Route("POST", "/videos/<video_id>/approve", routes_videos.approve_video,
          "Approve a generated video", "videos", body=ReviewRequest, response=VideoSummary,
          errors=(400, 404, 413)),
    Route("POST", "/videos/<video_id>/reject", routes_videos.reject_video,
          "Reject a generated video", "videos", body=ReviewRequest, response=VideoSummary,
          errors=(400, 404, 413)),
    Route("POST", "/videos/<video_id>/publish", routes_videos.publish,
          "Publish an approved video to YouTube and/or TikTok (safe to repeat)", "videos",
          body=PublishBody, response=VideoSummary, status=202, errors=(400, 404, 413, 503)),
    Route("GET", "/videos/<video_id>/metrics", routes_videos.metrics,
          "Views, likes and comments of each publication over time", "videos", query=NoQuery,
          response=VideoMetrics, errors=(400, 404)),
    Route("GET", "/videos/<video_id>/video.mp4", media.video_file,
          "The video file (HTTP Range supported)", "videos", access="media", query=MediaQuery,
          media_type="video/mp4", errors=(400, 403, 404, 416), headers=RANGE_HEADERS),
    Route("GET", "/videos/<video_id>/thumbnail.jpg", media.thumbnail_file,
          "The thumbnail (HTTP Range supported)", "videos", access="media", query=MediaQuery,
          media_type="image/jpeg", errors=(400, 403, 404, 416), headers=RANGE_HEADERS),
    Route("GET", "/trends", routes_data.trends, "Trends the newest job collected", "data",
          query=TrendsQuery, response=TrendsResponse, errors=(400, 404)),
    Route("GET", "/trend-reports/latest", routes_data.latest_report,
          "The newest trend analysis report", "data", query=NoQuery,
          response=TrendReportResponse, errors=(400, 404)),
    *routes_webhooks.ROUTES,
]  # fmt: skip

UI_ROUTES: list[Route] = [
    Route("GET", "/", routes_ui.ui_root, "Redirect to the review dashboard", "ui",
          access="public", status=302),
    Route("GET", "/ui", routes_ui.ui_slashless, "Redirect to the review dashboard", "ui",
          access="public", status=302),
    Route("GET", "/ui/", routes_ui.ui_index, "The review dashboard page", "ui",
          access="public", media_type="text/html"),
    Route("GET", "/ui/<asset>", routes_ui.ui_asset, "A static file of the review dashboard",
          "ui", access="public", errors=(404,)),
]  # fmt: skip

ALL_ROUTES: list[Route] = [*ROUTES, *UI_ROUTES]
