"""``khidma audit verify``: the log against its hashes, its checkpoints and their outside copies.

One pass over the log in position order recomputes every content hash and chain hash and
collects the Merkle leaves; then every checkpoint (in the database, and the copies kept outside
it, which are what an owner of the database cannot rewrite) must carry a valid signature, have
the log's root at its size, and be consistent (RFC 9162 consistency proof) with the checkpoint
before it. Findings name the position: altered, removed, inserted, reordered, or the checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import struct
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..events import CONNECTION_ERRORS
from ..events.hashing import GENESIS, canonical_metadata
from . import checkpoints
from .locate import Finding, locate
from .merkle import Tree
from .standalone import SignedHead, verify_consistency

_PAGE = 10_000
_PLACEHOLDER = hashlib.sha256(b"\x00" + GENESIS).digest()  # a leaf for a missing entry
_sha256 = hashlib.sha256
_ALTERED = "the event no longer matches its content hash"
_VERSION = struct.Struct(">q")
_LENGTH = struct.Struct(">I")


@dataclass(slots=True)
class AuditReport:
    events: int = 0
    checkpoints: int = 0
    sealed: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        unsealed = self.events - self.sealed
        text = f"{self.events} events, {self.checkpoints} checkpoints"
        if unsealed:
            text += f"; the last {unsealed} events are not yet under a checkpoint"
        return text


_LOG = (
    "SELECT l.position, l.chain_hash, e.stream_id, e.version, e.topic, e.data, e.metadata,"
    " e.content_hash FROM event_log l LEFT JOIN events e USING (event_id)"
    " WHERE l.position <= $1 ORDER BY l.position"
)
_HEAD = (
    "SELECT greatest((SELECT coalesce(max(position), 0) FROM event_log),"
    " (SELECT last_position FROM sequencer_state))"
)


async def _pages(conn: asyncpg.Connection, head: int) -> AsyncIterator[list[asyncpg.Record]]:
    """The log joined to its events in pages of one cursor, the next read while one is used.

    One query (not a page query each) keeps the join linear whatever plan it gets.
    """
    cursor = await conn.cursor(_LOG, head)
    task = asyncio.ensure_future(cursor.fetch(_PAGE))
    try:
        while True:
            rows = await task
            if not rows:
                return
            task = asyncio.ensure_future(cursor.fetch(_PAGE))
            yield rows
    finally:
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, *CONNECTION_ERRORS):
            await task


def _content_hasher() -> Callable[[bytes, int, str, bytes, bytes], bytes]:
    """``hashing.content_hash`` over one joined string (fewer calls per event; same bytes)."""
    topics: dict[str, bytes] = {}
    pack_version, pack_length = _VERSION.pack, _LENGTH.pack
    sha256 = _sha256

    def content(stream_id: bytes, version: int, topic: str, data: bytes, meta: bytes) -> bytes:
        part = topics.get(topic)
        if part is None:
            encoded = topic.encode()
            part = topics[topic] = pack_length(len(encoded)) + encoded
        return sha256(
            b"".join(
                (
                    stream_id,
                    pack_version(version),
                    part,
                    pack_length(len(data)),
                    data,
                    pack_length(len(meta)),
                    meta,
                )
            )
        ).digest()

    return content


async def scan_log(pool: asyncpg.Pool, report: AuditReport) -> tuple[list[bytes], list[int]]:
    """Recompute content and chain hashes; return the leaf hashes and the chain breaks.

    Reads one snapshot of the log (a read-only repeatable-read transaction).
    """
    leaves: list[bytes] = []
    breaks: list[int] = []
    findings = report.findings
    previous = GENESIS
    expected = 1
    content = _content_hasher()
    canonical = canonical_metadata
    sha256 = _sha256
    append_leaf = leaves.append
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchval(_HEAD)
        async for rows in _pages(conn, head):
            if previous is not None and _contiguous(rows, expected):
                # The usual page: every row present, in order: checked a column at a time.
                stored = [r[7] for r in rows]
                chains = [r[1] for r in rows]
                actual = [content(r[2].bytes, r[3], r[4], r[5], canonical(r[6])) for r in rows]
                before = [previous, *chains[:-1]]
                linked = [sha256(a + b).digest() for a, b in zip(before, stored, strict=True)]
                if actual != stored or linked != chains:
                    for i, row in enumerate(rows):
                        if actual[i] != stored[i]:
                            findings.append(Finding("altered", row[0], _ALTERED))
                        if linked[i] != chains[i]:
                            breaks.append(row[0])
                leaves.extend([sha256(b"\x00" + c).digest() for c in stored])
                previous = chains[-1]
                expected += len(rows)
                continue
            for position, stored_chain, stream_id, version, topic, data, meta, stored in rows:
                if position != expected:
                    while expected < position:
                        findings.append(Finding("removed", expected, "the log has no row here"))
                        append_leaf(_PLACEHOLDER)
                        expected += 1
                    previous = None  # nothing to check the chain against after a gap
                expected = position + 1
                if stream_id is None:
                    findings.append(Finding("removed", position, "its event row was deleted"))
                    append_leaf(_PLACEHOLDER)
                    previous = stored_chain
                    continue
                if content(stream_id.bytes, version, topic, data, canonical(meta)) != stored:
                    findings.append(Finding("altered", position, _ALTERED))
                if previous is not None and sha256(previous + stored).digest() != stored_chain:
                    breaks.append(position)
                previous = stored_chain
                append_leaf(sha256(b"\x00" + stored).digest())
    while expected <= head:
        findings.append(Finding("removed", expected, "the log has no row here"))
        append_leaf(_PLACEHOLDER)
        expected += 1
    report.events = head
    return leaves, breaks


def _contiguous(rows: list[asyncpg.Record], expected: int) -> bool:
    """Whether the page holds positions ``expected…`` without a gap, each with its event."""
    return (
        rows[0][0] == expected
        and rows[-1][0] == expected + len(rows) - 1
        and None not in [r[2] for r in rows]
    )


def check_checkpoints(
    tree: Tree,
    stored: Sequence[checkpoints.Checkpoint],
    outside: Sequence[SignedHead],
    public_key: Ed25519PublicKey,
    report: AuditReport,
) -> None:
    """Signatures, roots against the log, outside copies against the table, consistency."""
    findings = report.findings
    heads = {c.size: c.head for c in stored}
    for copy in outside:
        mine = heads.get(copy.size)
        if mine is None:
            findings.append(
                Finding(
                    "checkpoint_missing",
                    None,
                    f"checkpoint {copy.size} is kept outside but not in the database",
                )
            )
            heads[copy.size] = copy
        elif mine != copy:
            findings.append(
                Finding(
                    "checkpoint_differs",
                    None,
                    f"checkpoint {copy.size} differs from its outside copy",
                )
            )
            if copy.signature_ok(public_key):
                heads[copy.size] = copy  # the outside copy is the one to believe
    matching: list[SignedHead] = []  # signed, and the log's root at their size
    sealed = last_good = 0
    for size in sorted(heads):
        head = heads[size]
        if not head.signature_ok(public_key):
            findings.append(
                Finding("signature_invalid", None, f"checkpoint {size}: signature does not verify")
            )
            continue
        sealed = size
        if size > len(tree):
            findings.append(
                Finding("root_mismatch", None, f"checkpoint {size} is beyond the log's end")
            )
        elif tree.root(size) != head.root:
            findings.append(
                Finding(
                    "root_mismatch",
                    None,
                    f"checkpoint {size}: the log's first {size} events do not have its signed "
                    f"root; history between positions {last_good + 1} and {size} was rewritten",
                )
            )
        else:
            last_good = size
            matching.append(head)
    # Successive checkpoints that match the log must also prove consistent; a pair where one
    # does not match is already reported above.
    for old, new in itertools.pairwise(matching):
        path = tree.consistency_proof(old.size, new.size)
        if not verify_consistency(old.size, new.size, old.root, new.root, path):
            findings.append(
                Finding(
                    "inconsistent",
                    None,
                    f"checkpoints {old.size} and {new.size} are not consistent",
                )
            )
    report.checkpoints = len(heads)
    report.sealed = sealed


async def audit(
    pool: asyncpg.Pool, public_key: Ed25519PublicKey, outside: Sequence[SignedHead] = ()
) -> AuditReport:
    """Verify the whole log and every checkpoint; findings in position order."""
    report = AuditReport()
    leaves, breaks = await scan_log(pool, report)
    report.findings.extend(await locate(pool, breaks))
    report.findings.sort(key=lambda f: (f.position is None, f.position or 0))
    stored = await checkpoints.all_checkpoints(pool)
    check_checkpoints(Tree(leaves), stored, outside, public_key, report)
    return report
