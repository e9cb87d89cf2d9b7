"""``khidma sandbox``: serve the simulator on loopback with the knobs given on the command line."""

from __future__ import annotations

import argparse
import contextlib

from khidma.core import running
from khidma.core.config import Settings

from . import run_sandbox
from .state import Knobs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, help="TCP port (default KHIDMA_SANDBOX_PORT, 8010)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before answering")
    parser.add_argument("--rejection-rate", type=float, default=0.1, help="agencies refuse (0-1)")
    parser.add_argument("--info-rate", type=float, default=0.1, help="agencies ask for more (0-1)")
    parser.add_argument("--error-rate", type=float, default=0.0, help="HTTP 500s (0-1)")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="dropped connections (0-1)")
    parser.add_argument("--callback-delay", type=float, default=3.0, help="seconds to a reply")
    parser.add_argument("--outage", action="store_true", help="every system answers 503")
    parser.add_argument("--auto-pay", action="store_true", help="citizens pay at once")


def sandbox_command(settings: Settings, args: argparse.Namespace) -> int:
    knobs = Knobs(
        latency=args.latency,
        rejection_rate=args.rejection_rate,
        info_rate=args.info_rate,
        error_rate=args.error_rate,
        drop_rate=args.drop_rate,
        callback_delay=args.callback_delay,
        outage=args.outage,
        auto_pay=args.auto_pay,
    )
    knobs = Knobs().changed({k: getattr(knobs, k) for k in knobs.__slots__})  # range checks
    print(f"khidma sandbox on http://127.0.0.1:{args.port or settings.sandbox_port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        running.run(run_sandbox(settings, port=args.port, defaults=knobs))
    return 0
