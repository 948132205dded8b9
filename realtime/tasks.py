from celery import shared_task

from realtime.events import call_async
from realtime.replies import replies_sweep_orphans


@shared_task(name="realtime.sweep_orphan_replies")
def sweep_orphan_replies() -> int:
    """Marks replies left in progress by a dead process as `interrupted` (never forever)."""
    return call_async(replies_sweep_orphans)
