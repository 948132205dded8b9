"""Live `reading.daily`: each newly created daily reading becomes a user event."""

from __future__ import annotations

from readings.selectors import daily_reading_list_by_ids, daily_reading_payload
from realtime.events import user_events_publish_sync


def daily_readings_publish(*, reading_ids) -> None:
    """All of a batch's readings on one event loop (not a loop and Redis pools per user)."""
    user_events_publish_sync([
        (reading.user_id, "reading.daily", daily_reading_payload(reading))
        for reading in daily_reading_list_by_ids(reading_ids=reading_ids)
    ])
