"""Live `reading.daily`: each newly created daily reading becomes a user event."""

from __future__ import annotations

from readings.selectors import daily_reading_list_by_ids, daily_reading_payload
from realtime.events import user_event_publish_sync


def daily_readings_publish(*, reading_ids) -> None:
    for reading in daily_reading_list_by_ids(reading_ids=reading_ids):
        user_event_publish_sync(reading.user_id, "reading.daily", daily_reading_payload(reading))
