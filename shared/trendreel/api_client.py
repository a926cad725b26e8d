"""A small client for the trendreel JSON API, used by the CLI."""

from __future__ import annotations

from typing import Any

import httpx

from trendreel.errors import TrendreelError


class ApiError(TrendreelError):
    code = "api_error"
    hint = "See the message; `trendreel jobs show ID` shows a job's state."

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code


class ApiClient:
    """``token`` goes as ``Authorization: Bearer`` (the local token, a Google ID token),
    ``api_key`` as ``X-API-Key``."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if api_key:
            headers["X-API-Key"] = api_key
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(0, "unreachable", f"{method} {path}: {type(exc).__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.is_success and isinstance(body, dict):
            return body
        error = body.get("error", {}) if isinstance(body, dict) else {}
        raise ApiError(
            response.status_code, str(error.get("code", "error")), str(error.get("message", ""))
        )

    def generate(
        self,
        *,
        theme: str | None = None,
        config: dict[str, Any] | None = None,
        config_path: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        body = {
            k: v
            for k, v in (("theme", theme), ("config", config), ("config_path", config_path))
            if v
        }
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._call("POST", "/generate", json=body, headers=headers)

    def job(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/jobs/{job_id}")

    def jobs(
        self, status: str | None = None, limit: int = 20, cursor: str | None = None
    ) -> dict[str, Any]:
        return self._call("GET", "/jobs", params=_page(status, limit, cursor))

    def retry(self, job_id: str) -> dict[str, Any]:
        return self._call("POST", f"/jobs/{job_id}/retry")

    def videos(
        self, status: str | None = None, limit: int = 20, cursor: str | None = None
    ) -> dict[str, Any]:
        return self._call("GET", "/videos", params=_page(status, limit, cursor))

    def publish(
        self, video_id: str, platforms: list[str] | None = None, privacy: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if platforms:
            body["platforms"] = platforms
        if privacy:
            body["privacy"] = privacy
        return self._call("POST", f"/videos/{video_id}/publish", json=body)

    def metrics(self, video_id: str) -> dict[str, Any]:
        return self._call("GET", f"/videos/{video_id}/metrics")

    def video(self, video_id: str) -> dict[str, Any]:
        return self._call("GET", f"/videos/{video_id}")

    def review(self, video_id: str, approve: bool, reason: str | None = None) -> dict[str, Any]:
        action = "approve" if approve else "reject"
        body = {"reason": reason} if reason else {}
        return self._call("POST", f"/videos/{video_id}/{action}", json=body)


def _page(status: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if status:
        params["status"] = status
    if cursor:
        params["cursor"] = cursor
    return params
