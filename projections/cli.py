"""``khidma replay [NAME…] [--verify]`` and ``khidma worker``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from khidma.core import running
from khidma.core.config import Settings
from khidma.core.events import open_store
from khidma.core.events.embedded import database_url

from .projection import Projection, ProjectionError
from .registry import NAMES, UnknownProjectionError, projections
from .replay import ReplayRunningError, rebuild
from .worker import ProjectionWorker


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = commands.add_parser(
        "replay", help="rebuild read models into new tables, then swap them in"
    )
    replay.add_argument(
        "names", nargs="*", metavar="NAME", help=f"projections (default all: {', '.join(NAMES)})"
    )
    replay.add_argument(
        "--verify", action="store_true", help="compare checksums of the live and rebuilt tables"
    )
    commands.add_parser("worker", help="run the projection runners (one process leads each)")


def replay_command(settings: Settings, args: argparse.Namespace) -> int:
    try:
        chosen = projections(args.names)
    except UnknownProjectionError as error:
        print(f"khidma replay: {error}", file=sys.stderr)
        return 2
    with database_url(settings) as dsn:
        # asyncio's own loop, not uvloop: with the collector off during the pass (replay.py),
        # a rebuild of 1M events on uvloop peaked at 246-248 MB against 205 MB, for 44-45 µs
        # of CPU per event against 35-44 (benchmarks/projections.py, the same hour).
        return asyncio.run(_replay(dsn, settings, chosen, args.verify))


async def _replay(dsn: str, settings: Settings, chosen: list[Projection], verify: bool) -> int:
    console = Console(stderr=True)
    columns = (
        TextColumn("[bold]replay"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>10,.0f} events/s"),
        TimeRemainingColumn(),
    )
    async with open_store(dsn, settings) as store:
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("replay", total=max(1, await store.head()), rate=0.0)
            started = time.perf_counter()

            def progress(position: int, head: int) -> None:
                elapsed = max(time.perf_counter() - started, 1e-9)
                bar.update(
                    task, completed=position, total=max(head, position), rate=position / elapsed
                )

            try:
                results = await rebuild(store, chosen, progress=progress, verify=verify)
            except (ProjectionError, ReplayRunningError) as error:
                console.print(f"[red]khidma replay: {error}")
                return 1
    status = 0
    for result in results:
        line = f"{result.name}: rebuilt to position {result.position}, swapped in"
        if verify:
            if result.verified is None:
                line += f"; not compared (live tables were at {result.live_position})"
            elif result.verified:
                line += "; checksums match the live tables"
            else:
                status = 1
                differing = [
                    table
                    for table in result.rebuilt or {}
                    if (result.live or {}).get(table) != (result.rebuilt or {}).get(table)
                ]
                line += f"; DIFFERS from the live tables in {', '.join(differing)}"
        print(line)
    return status


def worker_command(settings: Settings) -> int:
    with database_url(settings) as dsn:
        running.run(_work(dsn, settings))
    return 0


async def _work(dsn: str, settings: Settings) -> None:
    async with open_store(dsn, settings) as store:
        worker = ProjectionWorker(store)
        task = asyncio.create_task(worker.run())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task
