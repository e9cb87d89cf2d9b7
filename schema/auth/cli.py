"""``khidma token``: mint a development token (HS256, the embedded default key)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from uuid import UUID

from khidma.core import running
from khidma.core.config import Settings
from khidma.core.domain.citizen import parse_national_number
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Staff

from .tokens import TokenError, Tokens


def add_arguments(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    token = commands.add_parser("token", help="mint a development bearer token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    who = token.add_mutually_exclusive_group()
    who.add_argument(
        "--national-number",
        help="a citizen's: their id if registered, else a new one with the number verified"
        " (the token can then register it)",
    )
    who.add_argument("--staff-number", help="a staff member's (the token's subject)")
    who.add_argument("--sub", help="the subject's UUID (default: a new one)")
    token.add_argument("--centre", help="the centre code, e.g. DAM-01")
    token.add_argument("--agency", help="the agency code, e.g. civil_registry")
    token.add_argument("--channel", choices=["portal", "app"], help="citizens: portal or app")


def token_command(settings: Settings, args: argparse.Namespace) -> int:
    try:
        subject, verified = args.sub, None
        if args.national_number:
            number = parse_national_number(args.national_number)
            subject = running.run(_citizen_id(settings, number))
            if subject is None:  # as an identity provider would: a new id, the number verified
                verified = number
                print(
                    f"khidma token: {number} has no account yet; this token can register it"
                    " / لا حساب لهذا الرقم الوطني بعد، ويمكن التسجيل بهذا الرمز",
                    file=sys.stderr,
                )
        elif args.staff_number:
            subject = Staff.id_for(args.staff_number)
        token = Tokens(settings).mint(
            args.role,
            subject,
            centre=args.centre,
            agency=args.agency,
            channel=args.channel,
            national_number=verified,
        )
    except (ValidationError, TokenError, ValueError) as error:
        print(f"khidma token: {error}", file=sys.stderr)
        return 2
    print(token)
    return 0


async def _citizen_id(settings: Settings, national_number: str) -> UUID | None:
    """The id of the citizen with this number, looked up in khidma's database."""
    # Imported here: the composition root imports this module.
    from khidma.core.bootstrap import open_store
    from khidma.core.events.embedded import database_url
    from khidma.core.privacy import numbers_of

    with database_url(settings) as dsn:
        async with open_store(dsn, settings) as store:
            return await numbers_of(store).find(national_number)


def demo_tokens(settings: Settings, citizen_ids: Mapping[str, UUID]) -> list[str]:
    """A few development tokens for the demo's people, printed by ``khidma demo``
    (``citizen_ids``: the demo citizens' ids by national number)."""
    from khidma.core.app.demo_data import SAMI, STAFF

    tokens = Tokens(settings)
    supervisor = next(m for m in STAFF if m.role == "supervisor" and m.centre_code == "HMS-01")
    clerk = next(m for m in STAFF if m.agency_code == "justice" and m.centre_code == "HMS-01")
    people = [
        ("citizen " + SAMI, tokens.mint("citizen", citizen_ids[SAMI], channel="portal")),
        (
            f"clerk {clerk.staff_number} (justice)",
            tokens.mint(
                "clerk", Staff.id_for(clerk.staff_number), centre="HMS-01", agency="justice"
            ),
        ),
        (
            f"supervisor {supervisor.staff_number}",
            tokens.mint("supervisor", Staff.id_for(supervisor.staff_number), centre="HMS-01"),
        ),
        ("auditor", tokens.mint("auditor")),
        ("admin", tokens.mint("admin")),
    ]
    lines = ["  tokens / رموز الدخول (Authorization: Bearer …, for /graphql):"]
    lines += [f"    {who}: {token}" for who, token in people]
    return lines
