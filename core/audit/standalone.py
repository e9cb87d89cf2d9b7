"""A standalone verifier for khidma's audit exports and proofs: stdlib and ``cryptography`` only.

An auditor copies this one file and runs it with the log's public key, obtained from the operator
beforehand (``khidma audit key``), never from the file being checked::

    python standalone.py EXPORT.ndjson --public-key key.pem [--checkpoints DIR]
    python standalone.py PROOF.json --public-key key.pem

It checks an export (``khidma audit export``): every event's content hash and chain hash, every
checkpoint's signature and Merkle root, the consistency proofs between successive checkpoints,
and, with ``--checkpoints``, the auditor's own copies of the checkpoints; or an inclusion or a
consistency proof (``khidma audit proof`` / ``khidma audit consistency``). Exit status 0 means
verified, 1 a finding (printed, with its line and position), 2 unusable input.

The formulas (khidma's ``core/events/hashing.py`` and RFC 9162, section 2.1):

- ``content_hash = SHA-256(stream_id 16 bytes || version int64 BE || len(topic) uint32 BE ||
  topic || len(data) uint32 BE || data || len(metadata) uint32 BE || metadata)``, metadata being
  canonical JSON (sorted keys, no spaces; exports carry its exact text).
- ``chain_hash(p) = SHA-256(chain_hash(p - 1) || content_hash(p))``, 32 zero bytes before 1.
- The Merkle tree's leaves are the log's content hashes in position order (leaf index = position
  - 1): ``leaf = SHA-256(0x00 || content_hash)``, ``node = SHA-256(0x01 || left || right)``, the
  tree of n leaves splitting at the largest power of two below n; the empty tree is SHA-256("").
- A checkpoint signs, with Ed25519, ``b"khidma checkpoint v1\\n" || size uint64 BE || root (32)
  || signed time (microseconds since 1970-01-01 UTC, int64 BE)``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import json
import struct
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

GENESIS = bytes(32)
EMPTY_ROOT = hashlib.sha256(b"").digest()
EXPORT_FORMAT = "khidma-audit-export/1"
_MESSAGE_PREFIX = b"khidma checkpoint v1\n"
_CHECKPOINT = struct.Struct(">Q32sq")
_VERSION = struct.Struct(">q")
_LENGTH = struct.Struct(">I")
_sha256 = hashlib.sha256


# -- hashing --------------------------------------------------------------------------------------


def content_hash(stream_id: bytes, version: int, topic: str, data: bytes, metadata: bytes) -> bytes:
    """An event's fingerprint; ``metadata`` is the canonical JSON's exact bytes."""
    h = _sha256(stream_id)
    h.update(_VERSION.pack(version))
    for part in (topic.encode(), data, metadata):
        h.update(_LENGTH.pack(len(part)))
        h.update(part)
    return h.digest()


def chain_hash(previous: bytes, content: bytes) -> bytes:
    return _sha256(previous + content).digest()


def leaf_hash(content: bytes) -> bytes:
    """RFC 9162's leaf hash of one log entry (the event's content hash)."""
    return _sha256(b"\x00" + content).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


class Frontier:
    """A Merkle tree grown one leaf at a time, keeping only its perfect subtrees' roots.

    ``stack`` holds the roots of the perfect subtrees that make up the tree of ``size`` leaves
    (one per set bit of ``size``, largest first); the tree hash folds them right to left.
    """

    __slots__ = ("size", "stack")

    def __init__(self, size: int = 0, stack: Sequence[bytes] = ()) -> None:
        if len(stack) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} subtrees")
        self.size = size
        self.stack = list(stack)

    def append(self, leaf: bytes) -> None:
        """Add a leaf hash (already ``leaf_hash``)."""
        stack = self.stack
        stack.append(leaf)
        self.size += 1
        merges = (self.size & -self.size).bit_length() - 1
        for _ in range(merges):
            right = stack.pop()
            stack[-1] = _sha256(b"\x01" + stack[-1] + right).digest()

    def extend(self, contents: Iterable[bytes]) -> None:
        """Add the leaves of these content hashes."""
        for content in contents:
            self.append(_sha256(b"\x00" + content).digest())

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        root = self.stack[-1]
        for left in reversed(self.stack[:-1]):
            root = node_hash(left, root)
        return root


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162, 2.1.3.2: is ``leaf`` (a leaf hash) at ``index`` of the tree ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _shift_while_even(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162, 2.1.4.2: is the tree of ``second`` leaves an extension of that of ``first``?"""
    if first == second:
        return not path and first_root == second_root
    if not 0 < first < second or not path:
        return first == 0 and not path
    nodes = list(path)
    if first & (first - 1) == 0:  # an exact power of two: its root is the first subtree
        nodes.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _shift_while_even(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# -- checkpoints ----------------------------------------------------------------------------------


def checkpoint_message(size: int, root: bytes, signed_at_us: int) -> bytes:
    """The exact bytes a checkpoint's Ed25519 signature covers."""
    return _MESSAGE_PREFIX + _CHECKPOINT.pack(size, root, signed_at_us)


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name for a key: the first 16 hex digits of SHA-256 of its 32 raw bytes."""
    return _sha256(public_key.public_bytes_raw()).hexdigest()[:16]


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


@dataclass(frozen=True, slots=True)
class SignedHead:
    """A checkpoint as published: the log's first ``size`` entries have Merkle root ``root``."""

    size: int
    root: bytes
    signed_at_us: int
    signature: bytes
    key_id: str

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SignedHead:
        try:
            head = cls(
                int(doc["size"]),
                bytes.fromhex(doc["root"]),
                int(doc["signed_at_us"]),
                bytes.fromhex(doc["signature"]),
                str(doc["key_id"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a checkpoint: {error}") from None
        if head.size < 0 or len(head.root) != 32 or len(head.signature) != 64:
            raise ValueError("not a checkpoint: bad size, root or signature length")
        return head

    def signature_ok(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(
                self.signature, checkpoint_message(self.size, self.root, self.signed_at_us)
            )
        except InvalidSignature:
            return False
        return True


# -- documents --------------------------------------------------------------------------------


class Unusable(ValueError):
    """The input is not an export or proof this verifier can read."""


@dataclass(slots=True)
class Findings:
    lines: list[str]
    checked: str = ""

    def add(self, line: str) -> None:
        self.lines.append(line)


def event_content_hash(event: dict[str, Any]) -> bytes:
    """Recompute an exported event's content hash from its fields."""
    return content_hash(
        uuid.UUID(event["stream_id"]).bytes,
        int(event["version"]),
        event["topic"],
        base64.b64decode(event["data"], validate=True),
        event["metadata"].encode(),
    )


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise Unusable(f"line {number}: not JSON ({error})") from None
            if not isinstance(record, dict) or "kind" not in record:
                raise Unusable(f"line {number}: not a record with a kind")
            yield number, record


def verify_export(
    path: Path, public_key: Ed25519PublicKey, own_copies: Sequence[SignedHead] = ()
) -> Findings:
    """Check an NDJSON export line by line; findings name the line and the position."""
    found = Findings([])
    records = _records(path)
    first = next(records, None)
    if first is None or first[1].get("kind") != "header":
        raise Unusable("line 1: no export header")
    if first[1].get("format") != EXPORT_FORMAT:
        raise Unusable(f"line 1: format {first[1].get('format')!r}, expected {EXPORT_FORMAT}")
    heads: dict[int, SignedHead] = {}
    proofs: list[tuple[int, dict[str, Any]]] = []
    frontier = Frontier()
    previous_chain, position, ended = GENESIS, 0, None
    for number, record in records:
        kind = record["kind"]
        if ended is not None:
            raise Unusable(f"line {number}: a record after the end")
        if kind in ("checkpoint", "consistency") and position:
            raise Unusable(f"line {number}: a {kind} after the events (they come first)")
        try:
            if kind == "checkpoint":
                head = SignedHead.from_json(record)
                heads[head.size] = head
                if not head.signature_ok(public_key):
                    found.add(f"line {number}: checkpoint {head.size}: signature does not verify")
            elif kind == "consistency":
                proofs.append((number, record))
            elif kind == "event":
                expected = position + 1
                position = int(record["position"])
                if position != expected:
                    what = "missing (removed)" if position > expected else "out of order"
                    found.add(
                        f"line {number}: position {position} where {expected} was due: "
                        f"position {expected} is {what}"
                    )
                stated = bytes.fromhex(record["content_hash"])
                if event_content_hash(record) != stated:
                    found.add(
                        f"line {number}: event at position {position} altered "
                        "(its fields do not match its content hash)"
                    )
                chain = bytes.fromhex(record["chain_hash"])
                if chain_hash(previous_chain, stated) != chain:
                    found.add(
                        f"line {number}: event at position {position}: chain hash does not "
                        "follow the previous event (inserted, removed or reordered here)"
                    )
                previous_chain = chain
                frontier.append(leaf_hash(stated))
                head = heads.get(frontier.size)
                if head is not None and frontier.root() != head.root:
                    found.add(
                        f"checkpoint {head.size}: events 1-{head.size} (to line {number}) do "
                        "not have its signed root: one of them was changed"
                    )
            elif kind == "end":
                ended = record
            else:
                raise Unusable(f"line {number}: unknown kind {kind!r}")
        except (KeyError, TypeError, ValueError, UnicodeError) as error:
            if isinstance(error, Unusable):
                raise
            raise Unusable(f"line {number}: malformed {kind} record ({error})") from None
    if ended is None:
        found.add("no end record: the export is truncated")
    elif ended.get("events") != frontier.size:
        found.add(
            f"the end record counts {ended.get('events')} events, the export has {frontier.size}"
        )
    for head in heads.values():
        if head.size > frontier.size:
            found.add(f"checkpoint {head.size} is beyond the {frontier.size} exported events")
    _check_proofs(proofs, heads, found)
    _check_own_copies(own_copies, heads, public_key, found)
    unsealed = frontier.size - max((h.size for h in heads.values()), default=0)
    found.checked = (
        f"{frontier.size} events, {len(heads)} checkpoints, {len(proofs)} consistency proofs"
        + (f"; the last {unsealed} events are not yet under a checkpoint" if unsealed else "")
    )
    return found


def _check_proofs(
    proofs: list[tuple[int, dict[str, Any]]], heads: dict[int, SignedHead], found: Findings
) -> None:
    sizes = sorted(heads)
    wanted = set(itertools.pairwise(sizes))
    for number, proof in proofs:
        old, new = int(proof["old"]), int(proof["new"])
        wanted.discard((old, new))
        if old not in heads or new not in heads:
            found.add(f"line {number}: consistency proof {old}→{new} between unknown checkpoints")
            continue
        path = [bytes.fromhex(h) for h in proof["path"]]
        if not verify_consistency(old, new, heads[old].root, heads[new].root, path):
            found.add(f"line {number}: checkpoints {old} and {new} are not consistent")
    for old, new in sorted(wanted):
        found.add(f"no consistency proof between checkpoints {old} and {new}")


def _check_own_copies(
    own: Sequence[SignedHead],
    heads: dict[int, SignedHead],
    public_key: Ed25519PublicKey,
    found: Findings,
) -> None:
    for copy in own:
        if not copy.signature_ok(public_key):
            found.add(f"your copy of checkpoint {copy.size}: signature does not verify")
        elif copy.size not in heads:
            found.add(f"your checkpoint {copy.size} is missing from the export")
        elif heads[copy.size].root != copy.root:
            found.add(f"checkpoint {copy.size} differs from your copy: history was rewritten")


def verify_proof(doc: dict[str, Any], public_key: Ed25519PublicKey) -> Findings:
    """Check an inclusion or consistency proof document against its signed checkpoints."""
    found = Findings([])
    try:
        if doc.get("kind") == "inclusion":
            head = SignedHead.from_json(doc["checkpoint"])
            position = int(doc["position"])
            content = bytes.fromhex(doc["content_hash"])
            event = doc.get("event")
            if event is not None and event_content_hash(event) != content:
                found.add(f"the event given for position {position} does not match its hash")
            path = [bytes.fromhex(h) for h in doc["path"]]
            if not head.signature_ok(public_key):
                found.add(f"checkpoint {head.size}: signature does not verify")
            if not verify_inclusion(position - 1, head.size, leaf_hash(content), path, head.root):
                found.add(f"position {position} is not in checkpoint {head.size}")
            found.checked = f"position {position} is included in checkpoint {head.size}"
        elif doc.get("kind") == "consistency":
            old = SignedHead.from_json(doc["old"])
            new = SignedHead.from_json(doc["new"])
            path = [bytes.fromhex(h) for h in doc["path"]]
            for head in (old, new):
                if not head.signature_ok(public_key):
                    found.add(f"checkpoint {head.size}: signature does not verify")
            if not verify_consistency(old.size, new.size, old.root, new.root, path):
                found.add(f"checkpoint {new.size} does not extend checkpoint {old.size}")
            found.checked = f"checkpoint {new.size} extends checkpoint {old.size}"
        else:
            raise Unusable(f"unknown proof kind {doc.get('kind')!r}")
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, Unusable):
            raise
        raise Unusable(f"malformed proof ({error})") from None
    return found


def read_own_copies(directory: Path) -> list[SignedHead]:
    """The checkpoints an auditor kept: every ``*.json`` file in ``directory``."""
    heads = []
    for file in sorted(directory.glob("*.json")):
        try:
            heads.append(SignedHead.from_json(json.loads(file.read_bytes())))
        except ValueError as error:
            raise Unusable(f"{file}: {error}") from None
    return heads


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="an NDJSON export, or a proof's JSON")
    parser.add_argument("--public-key", type=Path, required=True, help="the log's Ed25519 PEM")
    parser.add_argument("--checkpoints", type=Path, help="a directory of your checkpoint copies")
    args = parser.parse_args(argv)
    try:
        public_key = load_public_key(args.public_key.read_bytes())
        own = read_own_copies(args.checkpoints) if args.checkpoints else []
        with args.file.open("rb") as file:
            head = file.read(4096)
        try:
            first = json.loads(head.split(b"\n", 1)[0])
        except ValueError:
            first = json.loads(args.file.read_bytes())  # a pretty-printed proof
        if isinstance(first, dict) and first.get("kind") == "header":
            found = verify_export(args.file, public_key, own)
        else:
            found = verify_proof(json.loads(args.file.read_bytes()), public_key)
    except (OSError, ValueError) as error:
        print(f"cannot verify: {error}", file=sys.stderr)
        return 2
    for line in found.lines:
        print(f"FAIL {line}")
    print(("FAILED: " if found.lines else "OK: ") + found.checked)
    return 1 if found.lines else 0


if __name__ == "__main__":
    sys.exit(main())
