"""The sandbox's state: knobs per simulated system, what each was asked, and signed callbacks."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import httpx

from ..builtin.http import tls
from ..signing import HEADER, sign

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Knobs:
    """How a simulated system behaves; rates are probabilities from 0 to 1."""

    latency: float = 0.0  # seconds before answering
    outage: bool = False  # answer 503 to everything
    error_rate: float = 0.0  # answer HTTP 500
    drop_rate: float = 0.0  # drop the connection mid-answer
    rejection_rate: float = 0.0  # agencies: refuse the request
    info_rate: float = 0.0  # agencies: ask for more information first
    callback_delay: float = 1.0  # seconds before a reply-later answer is called back
    duplicate_callbacks: bool = False  # call every answer back twice
    reorder_callbacks: bool = False  # follow the answer with a stale earlier status
    send_callbacks: bool = True  # agencies and payments: call back at all (else poll only)
    auto_pay: bool = False  # payments: the citizen pays at once on the first bank

    def changed(self, values: dict[str, Any]) -> Knobs:
        known = {f.name: f.type for f in fields(self)}
        for name in values:
            if name not in known:
                raise ValueError(f"{name}: unknown knob; known: {', '.join(sorted(known))}")
        checked: dict[str, Any] = {}
        for name, value in values.items():
            if known[name] == "bool":
                checked[name] = bool(value)
            else:
                number = float(value)
                if number < 0 or (name.endswith("_rate") and number > 1):
                    raise ValueError(f"{name}: out of range")
                checked[name] = number
        return replace(self, **checked)


class Dropped(Exception):
    """Raised inside a handler to drop the connection."""


class Sandbox:
    """Every simulated agency, the payment provider, the post, SMS and email, in memory."""

    BANKS = (
        ("real_estate_bank", "المصرف العقاري", "Real Estate Bank"),
        ("commercial_bank", "المصرف التجاري السوري", "Commercial Bank of Syria"),
        ("al_baraka", "بنك البركة", "Al Baraka Bank"),
        ("bemo", "بنك بيمو", "Bemo Bank"),
        ("siib", "بنك سورية الدولي الإسلامي", "Syria International Islamic Bank"),
    )

    def __init__(self, secret: str, defaults: Knobs | None = None, seed: int = 0) -> None:
        self.secret = secret
        self.defaults = defaults or Knobs()
        self.knobs: dict[str, Knobs] = {}
        self.random = random.Random(seed)
        self.replies: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.requests: dict[str, dict[str, Any]] = {}  # by agency reference
        self.payments: dict[str, dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.counter = itertools.count(1)
        self.tasks: set[asyncio.Task[None]] = set()

    def knobs_for(self, system: str) -> Knobs:
        return self.knobs.get(system, self.defaults)

    def set_knobs(self, system: str, values: dict[str, Any]) -> Knobs:
        if system == "*":
            self.defaults = self.defaults.changed(values)
            self.knobs = {k: v.changed(values) for k, v in self.knobs.items()}
            return self.defaults
        self.knobs[system] = self.knobs_for(system).changed(values)
        return self.knobs[system]

    def reset(self) -> None:
        self.defaults = Knobs()
        self.knobs.clear()

    def chance(self, rate: float) -> bool:
        return rate > 0 and self.random.random() < rate

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self.counter):06d}"

    def describe(self) -> dict[str, Any]:
        return {
            "defaults": asdict(self.defaults),
            "systems": {k: asdict(v) for k, v in self.knobs.items()},
        }

    # -- callbacks ----------------------------------------------------------------------

    def call_back(self, system: str, url: str, payloads: list[dict[str, Any]]) -> None:
        """POST each payload, signed, to ``url`` after the system's callback delay."""
        knobs = self.knobs_for(system)
        if not knobs.send_callbacks:
            return
        sequence = list(payloads)
        if knobs.duplicate_callbacks:
            sequence = [p for p in sequence for _ in range(2)]
        task = asyncio.get_running_loop().create_task(
            self._send(url, sequence, knobs.callback_delay)
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, url: str, payloads: list[dict[str, Any]], delay: float) -> None:
        await asyncio.sleep(delay)
        async with httpx.AsyncClient(timeout=10.0, verify=tls()) as client:
            for payload in payloads:
                body = json.dumps(payload, ensure_ascii=False).encode()
                for attempt in range(5):  # as agencies do: a few tries, then polling finds it
                    try:
                        response = await client.post(
                            url,
                            content=body,
                            headers={
                                HEADER: sign(self.secret, body),
                                "content-type": "application/json",
                            },
                        )
                    except httpx.HTTPError as error:
                        log.info("callback to %s failed (%s), attempt %d", url, error, attempt + 1)
                    else:
                        if response.status_code < 500:
                            break
                    await asyncio.sleep(0.2 * 2**attempt)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
