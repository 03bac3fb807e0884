"""The contract between job kinds and the job runner.

A module that offers long work registers a handler:

    from tracker.jobs.registry import JobContext, job_handler

    @job_handler("archive_export")
    def export_archive(ctx: JobContext) -> str | None:
        total = ...
        for n, item in enumerate(items, 1):
            ...
            ctx.progress(n, total, "…")
        with ctx.output(".zip") as path:      # a temp file, renamed into place only on success
            write_zip(path)
        return "a short summary for the user"

The runner (tracker.jobs.services / runner) runs the handler inside an app context, in-process
or in an RQ worker, records progress on the Job row, and marks it done or failed with the
error. A handler must not commit half its work: it raises to fail, and the runner rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class JobContext(Protocol):
    """What a handler gets: its parameters, a progress callback, and atomic output files."""

    job_id: str
    params: dict[str, Any]
    user_id: int | None

    def progress(self, done: int, total: int | None = None, message: str = "") -> None: ...

    def output(self, suffix: str) -> Any:  # a context manager yielding a temp Path
        ...


Handler = Callable[[JobContext], "str | None"]
HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register `fn` as the handler of jobs of this kind."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


@dataclass
class LocalContext:
    """A plain context for running a handler directly (CLI commands, tests)."""

    params: dict[str, Any]
    output_dir: Path
    job_id: str = "local"
    user_id: int | None = None
    on_progress: Callable[[int, int | None, str], None] | None = None
    outputs: list[Path] = field(default_factory=list)

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        if self.on_progress is not None:
            self.on_progress(done, total, message)

    @contextmanager
    def output(self, suffix: str) -> Iterator[Path]:
        """A temp file next to the final one; renamed into place only if the block succeeds."""
        self.output_dir.mkdir(parents=True, exist_ok=True)
        final = self.output_dir / f"{self.job_id}{suffix}"
        temp = final.with_name(final.name + ".part")
        try:
            yield temp
            temp.replace(final)
            self.outputs.append(final)
        finally:
            temp.unlink(missing_ok=True)
