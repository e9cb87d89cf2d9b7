"""``khidma audit verify|proof|consistency|export|seal|key``."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .. import running
from ..config import Settings
from ..events import EventStore, open_store
from ..events.embedded import database_url
from . import checkpoints, proofs
from .export import export
from .proofs import AuditError
from .seal import Sealer, SealError
from .signing import SigningKeyError, key_path, load_signer, public_pem
from .standalone import key_id, load_public_key
from .verify import audit


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("audit", help="signed checkpoints, proofs and exports of the log")
    audit_commands = parser.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser(
        "verify", help="check the chain, every checkpoint's root and signature, and consistency"
    )
    verify.add_argument("--public-key", type=Path, help="PEM (default: the configured key's)")
    verify.add_argument(
        "--checkpoints", type=Path, help="the outside copies (default: KHIDMA_CHECKPOINT_DIR)"
    )
    proof = audit_commands.add_parser("proof", help="print an inclusion proof (JSON)")
    proof.add_argument("position", type=int, metavar="POSITION")
    consistency = audit_commands.add_parser(
        "consistency", help="print a consistency proof between two checkpoints (JSON)"
    )
    consistency.add_argument("old", type=int, metavar="OLD", help="a checkpoint's size")
    consistency.add_argument("new", type=int, metavar="NEW", help="a later checkpoint's size")
    exported = audit_commands.add_parser("export", help="write events and checkpoints as NDJSON")
    exported.add_argument("--output", "-o", type=Path, help="file to write (default stdout)")
    audit_commands.add_parser("seal", help="sign a checkpoint over the log now")
    audit_commands.add_parser("key", help="print the public key that verifies checkpoints")


@contextlib.asynccontextmanager
async def _store(settings: Settings) -> AsyncIterator[EventStore]:
    with database_url(settings) as dsn:
        async with open_store(dsn, settings) as store:
            yield store


def _public_key(settings: Settings, given: Path | None) -> Ed25519PublicKey:
    if given is not None:
        try:
            return load_public_key(given.read_bytes())
        except (OSError, ValueError) as error:
            raise AuditError(f"--public-key {given}: {error}") from None
    if not key_path(settings).exists():
        raise AuditError(f"no signing key at {key_path(settings)}: pass --public-key")
    return load_signer(settings).public_key


def _print_json(document: dict[str, Any]) -> None:
    print(json.dumps(document, indent=1))


async def _verify(store: EventStore, settings: Settings, args: argparse.Namespace) -> int:
    public_key = _public_key(settings, args.public_key)
    try:
        outside = checkpoints.read_directory(args.checkpoints or settings.checkpoints_dir)
    except ValueError as error:
        raise AuditError(f"outside checkpoints: {error}") from None
    report = await audit(store.pool, public_key, outside)
    for finding in report.findings:
        print(f"FAIL {finding}")
    if report.ok:
        print(f"OK: {report.summary()}")
        return 0
    print(f"FAILED: {len(report.findings)} findings; {report.summary()}")
    return 1


async def _seal(store: EventStore, settings: Settings, args: argparse.Namespace) -> int:
    sealer = Sealer(store, settings, load_signer(settings))
    try:
        made = await sealer.seal_once(force=True)
    except SealError as error:
        raise AuditError(f"not sealing: {error} (run khidma audit verify)") from None
    if made is None:
        print("nothing new to seal (or another process is sealing)")
    else:
        print(f"sealed checkpoint {made.size}: root {made.root.hex()}")
    return 0


async def _export(store: EventStore, settings: Settings, args: argparse.Namespace) -> int:
    if args.output is None:
        events, sealed = await export(store.pool, sys.stdout.buffer)
    else:
        with args.output.open("wb") as out:
            events, sealed = await export(store.pool, out)
    print(f"exported {events} events and {sealed} checkpoints", file=sys.stderr)
    return 0


async def _proof(store: EventStore, settings: Settings, args: argparse.Namespace) -> int:
    _print_json(await proofs.inclusion(store.pool, args.position))
    return 0


async def _consistency(store: EventStore, settings: Settings, args: argparse.Namespace) -> int:
    _print_json(await proofs.consistency(store.pool, args.old, args.new))
    return 0


_Handler = Callable[[EventStore, Settings, argparse.Namespace], Awaitable[int]]
_HANDLERS: dict[str, _Handler] = {
    "verify": _verify,
    "seal": _seal,
    "export": _export,
    "proof": _proof,
    "consistency": _consistency,
}


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    async with _store(settings) as store:
        return await _HANDLERS[args.audit_command](store, settings, args)


def audit_command(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``khidma audit`` command; bad input is a message and exit status 2."""
    try:
        if args.audit_command == "key":
            signer = load_signer(settings)
            print(public_pem(signer.public_key), end="")
            print(f"key id {key_id(signer.public_key)}", file=sys.stderr)
            return 0
        return running.run(_run(settings, args))
    except (AuditError, SigningKeyError) as error:
        print(f"khidma audit: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"khidma audit: {error}", file=sys.stderr)
        return 2
