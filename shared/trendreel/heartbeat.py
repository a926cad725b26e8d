"""The heartbeat that keeps a running stage's lease alive.

A claim is short (``Settings.lease_seconds``, tens of seconds) so that a function that died is
noticed within about one lease, not after the stage's timeout (30 minutes for composition). The
holder therefore renews it while the stage runs: every third of a lease, so two renewals in a
row can fail (a slow store, a stalled process) before the lease lapses.

If a renewal finds the lease taken over (it lapsed and another delivery claimed the stage), the
heartbeat stops and says so: the runner aborts the stage at its next progress report and answers
as superseded, so two copies of a long render do not run to the end side by side.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

from trendreel.errors import TrendreelError
from trendreel.lifecycle import StaleDeliveryError

log = logging.getLogger(__name__)
BEATS_PER_LEASE = 3


class LeaseLostError(TrendreelError):
    """Raised into a running stage whose lease another delivery has taken over."""

    code = "lease_lost"
    retryable = True
    hint = "Another delivery took this stage over after a missed heartbeat; it will finish it."


class Heartbeat:
    """``with Heartbeat(renew, lease_seconds) as beat:`` renews until the block ends."""

    def __init__(self, renew: Callable[[], object], lease_seconds: float, *, name: str) -> None:
        self._renew = renew
        self.interval = lease_seconds / BEATS_PER_LEASE
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{name}", daemon=True)

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def check(self) -> None:
        """Raise LeaseLostError once the lease is gone (called from progress reports)."""
        if self._lost.is_set():
            raise LeaseLostError("this delivery's lease was taken over by another delivery")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._renew()
            except StaleDeliveryError as exc:
                log.warning("lease lost: %s", exc)
                self._lost.set()
                return
            except Exception:  # the store hiccupped: the next beat tries again
                log.warning("lease renewal failed; retrying at the next beat", exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
