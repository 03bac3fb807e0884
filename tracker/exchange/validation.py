"""Checking a case exchange document: its JSON Schema first, then the rules a schema cannot say.

Every problem comes back as one line that points at the field, JSON-path style:
"cases[3].assignments[0].due_on: '2025-13-01' is not a valid date".
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from tracker.directory.models import CouncilSession
from tracker.exchange.format import FORMAT_NAME, FORMAT_VERSION, load_schema
from tracker.extensions import db
from tracker.proposals.models import Proposal

MAX_PROBLEMS = 200  # a hopeless file still gets a readable answer

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MOMENT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    return bool(DATE_RE.match(value)) and date.fromisoformat(value) is not None


@FORMATS.checks("date-time", raises=ValueError)
def _is_moment(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    return bool(MOMENT_RE.match(value)) and datetime.fromisoformat(value) is not None


@cache
def validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema(), format_checker=FORMATS)


def path_text(path: Any) -> str:
    """('cases', 3, 'due_on') -> 'cases[3].due_on'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
FORMAT_WORDS = {
    "date": "date (YYYY-MM-DD)",
    "date-time": "date-time (RFC 3339 with a time zone, e.g. 2025-09-08T02:30:00Z)",
}


def _messages(error: ValidationError) -> list[tuple[list, str]]:
    """(the field's path, the message) for each field the error is about."""
    path = list(error.absolute_path)
    kind, value = error.validator, error.validator_value
    if kind == "required":
        missing = ast.literal_eval(error.message.split(" is a required property")[0])
        return [([*path, missing], "is required but missing")]
    if kind == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known)
        return [([*path, k], "is not a field of this format") for k in extra]
    if kind == "format":
        text = f"{_shown(error.instance)} is not a valid {FORMAT_WORDS.get(value, value)}"
    elif kind == "type":
        types = value if isinstance(value, list) else [value]
        text = f"{_shown(error.instance)} is not {' or '.join(TYPE_WORDS.get(t, t) for t in types)}"
    elif kind == "enum":
        text = f"{_shown(error.instance)} is not one of {', '.join(map(str, value))}"
    elif kind == "const":
        text = f"must be {value!r}, not {_shown(error.instance)}"
    elif kind == "minLength" and value == 1:
        text = "must not be empty"
    elif kind == "maxLength":
        text = f"is too long ({len(error.instance)} characters; at most {value})"
    elif kind == "oneOf" and not path:
        text = "needs either 'case' (one case) or 'cases' (a list of cases), not both"
    else:
        text = error.message
    return [(path, text)]


def _sort_key(path: list) -> list[tuple[int, Any]]:
    return [(0, p) if isinstance(p, int) else (1, p) for p in path]


def schema_problems(doc: Any) -> list[str]:
    """Every way the document breaks the JSON Schema, in document order."""
    if isinstance(doc, dict):
        if doc.get("format") not in (None, FORMAT_NAME):
            return [f"format: {_shown(doc.get('format'))} is not a case exchange file"]
        version = doc.get("format_version")
        if isinstance(version, int) and version != FORMAT_VERSION:
            return [
                f"format_version: this file is version {version}; "
                f"this tracker reads version {FORMAT_VERSION}"
            ]
    found = [m for error in validator().iter_errors(doc) for m in _messages(error)]
    found.sort(key=lambda m: _sort_key(m[0]))
    return [f"{path_text(path) or '(the document)'}: {text}" for path, text in found]


# ---- the rules a schema cannot say ----


def _bad_characters(value: Any, path: str) -> Iterator[str]:
    """NUL characters and lone surrogates: no database can store them."""
    if isinstance(value, str):
        for ch in value:
            if ch == "\x00" or unicodedata.category(ch) == "Cs":
                yield f"{path}: contains the character U+{ord(ch):04X}, which cannot be stored"
                return
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _bad_characters(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _bad_characters(item, f"{path}[{n}]")


def session_key(data: dict[str, Any]) -> tuple[str, int, int]:
    return (data["council"], data["term"], data["meeting"])


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.sessions: dict[tuple, tuple[str, dict]] = {}
        self.session_names: dict[str, tuple] = {}
        self.numbers: dict[tuple, str] = {}

    def add(self, message: str) -> None:
        self.problems.append(message)

    def case(self, prefix: str, case: dict[str, Any]) -> None:
        self.problems.extend(_bad_characters(case, prefix))
        self._session(prefix, case["session"])
        number = case["proposal"]["number"]
        key = (*session_key(case["session"]), number)
        if key in self.numbers:
            self.add(
                f"{prefix}.proposal.number: case {number} of {case['session']['name']} "
                f"is already in this file at {self.numbers[key]}"
            )
        self.numbers.setdefault(key, prefix)
        self._unique(
            prefix,
            "proposers",
            [(p["kind"], p["name"]) for p in case["proposers"]],
            "the same proposer twice",
        )
        self._unique(
            prefix,
            "assignments",
            [a["unit"]["name"] for a in case["assignments"]],
            "the same unit twice",
            field="unit.name",
        )
        for n, assignment in enumerate(case["assignments"]):
            self._assignment(f"{prefix}.assignments[{n}]", assignment)

    def _unique(self, prefix: str, name: str, keys: list, what: str, field: str = "") -> None:
        seen: dict[Any, int] = {}
        for n, key in enumerate(keys):
            if key in seen:
                where = f"{prefix}.{name}[{n}]" + (f".{field}" if field else "")
                self.add(f"{where}: {what} (also at {name}[{seen[key]}])")
            seen.setdefault(key, n)

    def _session(self, prefix: str, data: dict[str, Any]) -> None:
        key = session_key(data)
        if key in self.sessions and self.sessions[key][1] != data:
            first = self.sessions[key][0]
            self.add(f"{prefix}.session: differs from {first}.session, the same session")
        self.sessions.setdefault(key, (prefix, data))
        other = self.session_names.setdefault(data["name"], key)
        if other != key:
            self.add(
                f"{prefix}.session.name: {data['name']!r} names two different sessions in this file"
            )

    def _assignment(self, prefix: str, data: dict[str, Any]) -> None:
        if data["due_on"] < data["assigned_on"]:
            self.add(f"{prefix}.due_on: is before assigned_on ({data['assigned_on']})")
        for n, extension in enumerate(data["extensions"]):
            if extension["requested_due_on"] <= extension["old_due_on"]:
                self.add(
                    f"{prefix}.extensions[{n}].requested_due_on: must be later than old_due_on"
                )
        self._unique(
            prefix,
            "feedback",
            [(f["round"], f["proposer"]["kind"], f["proposer"]["name"]) for f in data["feedback"]],
            "a second rating by the same proposer for the same round",
        )
        rounds: set[int] = set()
        for n, reply in enumerate(data["replies"]):
            where = f"{prefix}.replies[{n}]"
            if reply["round"] in rounds:
                self.add(f"{where}.round: a second letter for round {reply['round']}")
            previous = reply["previous_round"]
            if previous is not None and (previous not in rounds or previous >= reply["round"]):
                self.add(
                    f"{where}.previous_round: no earlier letter of round {previous} "
                    "precedes it in this assignment"
                )
            rounds.add(reply["round"])
            self._reply(where, reply)

    def _reply(self, prefix: str, reply: dict[str, Any]) -> None:
        co_kind = reply["kind"] == "co_opinion"
        if co_kind != (reply["shape"] == "co_opinion"):
            self.add(
                f"{prefix}.shape: {reply['shape']!r} does not fit a letter of kind {reply['kind']!r}"
                " (co-handling opinions use co_opinion, replies table or prose)"
            )
        if reply["status"] == "signed" and reply["signed_at"] is None:
            self.add(f"{prefix}.signed_at: a signed letter needs the time it was signed")
        parts = reply["parts"]
        if (
            parts["disclosure"] != "public"
            and not parts["disclosure_reason"]
            and reply["status"] not in ("draft", "returned")
        ):
            self.add(
                f"{prefix}.parts.disclosure_reason: a letter that is not (fully) published "
                "needs the reason once submitted"
            )
        self._unique(
            prefix,
            "revisions",
            [r["number"] for r in reply["revisions"]],
            "the same revision number twice",
            field="number",
        )

    def against_database(self, cases: list[tuple[str, dict]], update: bool) -> None:
        """Sessions that clash with the database's, and cases already there."""
        existing: dict[tuple, CouncilSession | None] = {}
        for key, (prefix, data) in self.sessions.items():
            council, term, meeting = key
            by_key = db.session.scalar(
                sa.select(CouncilSession).where(
                    CouncilSession.council == council,
                    CouncilSession.term == term,
                    CouncilSession.meeting == meeting,
                )
            )
            by_name = db.session.scalar(
                sa.select(CouncilSession).where(CouncilSession.name == data["name"])
            )
            if by_key is not None and by_key.name != data["name"]:
                self.add(
                    f"{prefix}.session.name: the database calls this session "
                    f"{by_key.name!r}, not {data['name']!r}"
                )
            elif by_name is not None and by_name is not by_key:
                self.add(
                    f"{prefix}.session.name: {data['name']!r} is another session in the database "
                    f"({by_name.council}, term {by_name.term}, meeting {by_name.meeting})"
                )
            existing[key] = by_key
        if update:
            return
        for prefix, case in cases:
            session = existing.get(session_key(case["session"]))
            if session is None:
                continue
            number = case["proposal"]["number"]
            found = db.session.scalar(
                sa.select(Proposal.id).where(
                    Proposal.session_id == session.id, Proposal.number == number
                )
            )
            if found is not None:
                self.add(
                    f"{prefix}.proposal.number: case {number} of {session.full_name} is already "
                    "in the database (import with --update to replace it)"
                )


def cases_of(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The document's cases with the path each is found at."""
    if "case" in doc:
        return [("case", doc["case"])]
    return [(f"cases[{n}]", case) for n, case in enumerate(doc["cases"])]


def semantic_problems(cases: list[tuple[str, dict]], *, update: bool = False) -> list[str]:
    """What the schema cannot say: duplicates, dates in order, clashes with the database."""
    checker = _Checker()
    for prefix, case in cases:
        checker.case(prefix, case)
    checker.against_database(cases, update)
    return checker.problems
