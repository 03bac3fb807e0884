"""The self-test job: proves a deployment runs jobs (`flask jobs run selftest --param n=10`)."""

from __future__ import annotations

import os
import socket
import time

from flask_babel import gettext as _

from tracker.core.errors import DomainError
from tracker.jobs.registry import JobContext, job_handler

MAX_COUNT = 100_000
MAX_DELAY = 5.0


@job_handler("selftest")
def selftest(ctx: JobContext) -> str:
    """Count to params["n"] (optionally pausing `delay` seconds a step), then write a small file.

    With params["fail"] set it fails after writing into its output, which must then vanish.
    """
    try:
        n = int(ctx.params.get("n", 10))
        delay = float(ctx.params.get("delay", 0))
    except (TypeError, ValueError) as exc:
        raise DomainError(
            _("The self-test needs a whole number n and a delay in seconds.")
        ) from exc
    if not 0 <= n <= MAX_COUNT or not 0 <= delay <= MAX_DELAY:
        raise DomainError(
            _(
                "The self-test counts to at most %(max)d, pausing at most %(delay)s seconds a step.",
                max=MAX_COUNT,
                delay=MAX_DELAY,
            )
        )
    ctx.progress(0, n, _("Starting"))
    for i in range(1, n + 1):
        if delay:
            time.sleep(delay)
        ctx.progress(i, n, _("Counted %(done)d of %(total)d", done=i, total=n))
    with ctx.output(".txt") as path:
        path.write_text(
            f"tracker self-test {ctx.job_id}: counted to {n} "
            f"in process {os.getpid()} on {socket.gethostname()}\n",
            encoding="utf-8",
        )
        if ctx.params.get("fail"):
            raise DomainError(_("The self-test failed, as it was asked to."))
    return _("Counted to %(n)d.", n=n)
