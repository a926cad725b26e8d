"""Checks on what a video says, as opposed to the file (``media.qc``): pure, models only.

``check_script`` is run by the review stage on every script, whichever writer wrote it; the
offline writer uses the same rules to choose its screen texts.
"""

from trendreel.quality.script_check import check_script

__all__ = ["check_script"]
