"""The embedded default: every push is written to the log (token masked) and counts as sent."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from accounts.push.base import PushJob, PushOutcome, PushResult, mask_token

logger = logging.getLogger("accounts.push")


class ConsolePush:
    name = "console"

    def send(self, jobs: Sequence[PushJob]) -> list[list[PushResult]]:
        results = []
        for job in jobs:
            message = job.message
            for token in job.tokens:
                logger.info(
                    "push to %s: %s: %s",
                    mask_token(token),
                    message.title,
                    message.body,
                    extra={
                        "push_token": mask_token(token),
                        "push_collapse_key": message.collapse_key,
                        "push_data": dict(message.data),
                    },
                )
            results.append([PushResult(token, PushOutcome.OK) for token in job.tokens])
        return results
