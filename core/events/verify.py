"""Recomputing the log's hashes: which position was changed, removed, inserted or reordered."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from .hashing import GENESIS, canonical_metadata, chain_hash, content_hash


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """One finding: ``kind`` is content_changed, chain_broken or position_missing."""

    position: int
    kind: str
    detail: str


@dataclass(slots=True)
class ChainReport:
    from_position: int
    to_position: int
    checked: int = 0
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


_PAGE = 5_000


async def verify_chain(
    pool: asyncpg.Pool, from_position: int = 1, to_position: int | None = None
) -> ChainReport:
    """Check every logged event in the range against its content hash and the chain.

    A content hash that no longer matches the row means the event was changed; a chain hash
    that does not follow from the one before means a row was changed with its hash, inserted,
    removed or moved; a missing position means a log row was deleted.
    """
    if from_position < 1:
        raise ValueError("from_position: positions start at 1")
    if to_position is None:
        # The sequencer's own count too: a truncated tail leaves no gap in event_log to find.
        to_position = await pool.fetchval(
            "SELECT greatest((SELECT coalesce(max(position), 0) FROM event_log),"
            " (SELECT last_position FROM sequencer_state))"
        )
    report = ChainReport(from_position, to_position)
    previous = GENESIS
    if from_position > 1:
        previous = await pool.fetchval(
            "SELECT chain_hash FROM event_log WHERE position = $1", from_position - 1
        )
        if previous is None:
            report.problems.append(
                ChainProblem(from_position - 1, "position_missing", "no log row to start from")
            )
            return report
    expected_position = from_position
    after = from_position - 1
    while after < to_position:
        rows = await pool.fetch(
            "SELECT l.position, l.chain_hash, e.stream_id, e.version, e.topic, e.data,"
            " e.metadata, e.content_hash"
            " FROM event_log l LEFT JOIN events e USING (event_id)"
            " WHERE l.position > $1 AND l.position <= $2 ORDER BY l.position LIMIT $3",
            after,
            to_position,
            _PAGE,
        )
        if not rows:
            break
        for position, stored_chain, stream_id, version, topic, data, metadata, stored in rows:
            while expected_position < position:
                report.problems.append(
                    ChainProblem(expected_position, "position_missing", "log row deleted")
                )
                expected_position += 1
            expected_position = position + 1
            report.checked += 1
            if stream_id is None:
                report.problems.append(ChainProblem(position, "content_changed", "event row gone"))
                previous = stored_chain
                continue
            actual = content_hash(stream_id, version, topic, data, canonical_metadata(metadata))
            if actual != stored:
                report.problems.append(
                    ChainProblem(position, "content_changed", "event differs from its content hash")
                )
            link = chain_hash(previous, stored)
            if link != stored_chain:
                report.problems.append(
                    ChainProblem(
                        position, "chain_broken", "chain hash does not follow the previous"
                    )
                )
            previous = stored_chain
        after = rows[-1][0]
    while expected_position <= to_position:
        report.problems.append(
            ChainProblem(expected_position, "position_missing", "log row deleted")
        )
        expected_position += 1
    return report
