"""The API's OpenAPI 3.1 description, written by hand to match tracker/api/serializers.py.

Enumerations come from the model enums so the description cannot fall behind the data.
Nullable fields are type arrays (["string", "null"]), as OpenAPI 3.1 (JSON Schema) writes them.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from tracker.api.queries import MAX_ID
from tracker.deadlines.services import DueState
from tracker.directory.models import ProposerKind
from tracker.proposals.models import AssignmentRole, CaseType, ProposalKind
from tracker.proposals.queries import SORTS
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.models import LetterKind, LetterShape, ReplyStatus

MAX_PER_PAGE = 100
MAX_PAGE = 100_000


def _values(enum_cls) -> list[str]:
    return [member.value for member in enum_cls]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A closed object whose every property is required (absent values are sent as null)."""
    schema = {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
ID = {"type": "integer", "minimum": 1}
DATE = {"type": "string", "format": "date"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
LINK = {"type": "string", "description": "A path on this server."}


def _links(*names: str) -> dict[str, Any]:
    return _object({name: LINK for name in names})


SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {"error": STRING, "message": STRING},
        "What went wrong: a short title and a sentence (in the user's language).",
    ),
    "Session": _object({"id": ID, "name": STRING, "year": INTEGER}),
    "Unit": _object({"id": ID, "name": STRING}),
    "Proposer": _object(
        {"name": STRING, "kind": {"type": "string", "enum": _values(ProposerKind)}},
        "A proposer by name and kind; contact details are not part of the API.",
    ),
    "Suggestion": _object({"number": {"type": "integer", "minimum": 1}, "text": STRING}),
    "LetterBrief": _object(
        {
            "id": ID,
            "round": {"type": "integer", "minimum": 1},
            "kind": {"type": "string", "enum": _values(LetterKind)},
            "status": {"type": "string", "enum": _values(ReplyStatus)},
            "links": _links("self", "pdf"),
        }
    ),
    "AssignmentBrief": _object(
        {
            "id": ID,
            "unit": _ref("Unit"),
            "role": {"type": "string", "enum": _values(AssignmentRole)},
            "status": {"type": "string", "enum": _values(AssignmentStatus)},
            "due_on": DATE,
            "due_state": {
                "type": ["string", "null"],
                "enum": [*_values(DueState), None],
                "description": "null once the reply has gone out (nothing is awaited).",
            },
            "links": _links("self"),
        }
    ),
    "ProposalBrief": _object(
        {"id": ID, "number": STRING, "title": STRING, "links": _links("self")}
    ),
}

_ASSIGNMENT_DETAIL = {
    **SCHEMAS["AssignmentBrief"]["properties"],
    "assigned_on": DATE,
    "return_due_on": DATE,
    "received_on": NULLABLE_DATE,
    "replied_on": NULLABLE_DATE,
    "closed_on": NULLABLE_DATE,
    "round": {"type": "integer", "minimum": 1},
    "letters": {"type": "array", "items": _ref("LetterBrief")},
}
SCHEMAS["Assignment"] = _object(_ASSIGNMENT_DETAIL)
SCHEMAS["AssignmentWithProposal"] = _object(
    {**_ASSIGNMENT_DETAIL, "proposal": _ref("ProposalBrief")}
)

_PROPOSAL_SUMMARY = {
    **SCHEMAS["ProposalBrief"]["properties"],
    "session": _ref("Session"),
    "case_type": {"type": "string", "enum": _values(CaseType)},
    "kind": {"type": "string", "enum": _values(ProposalKind)},
    "is_key": {"type": "boolean"},
    "submitted_on": NULLABLE_DATE,
    "proposers": {"type": "array", "items": _ref("Proposer")},
    "assignments": {"type": "array", "items": _ref("AssignmentBrief")},
    "updated_at": DATETIME,
}
SCHEMAS["ProposalSummary"] = _object(_PROPOSAL_SUMMARY)
SCHEMAS["Proposal"] = _object(
    {
        **_PROPOSAL_SUMMARY,
        "full_text": STRING,
        "suggestions": {"type": "array", "items": _ref("Suggestion")},
        "assignments": {"type": "array", "items": _ref("Assignment")},
        "created_at": DATETIME,
    }
)
SCHEMAS["Paging"] = _object(
    {
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "total": {"type": "integer", "minimum": 0},
        "pages": {"type": "integer", "minimum": 0},
        "next": {"type": ["string", "null"], "description": "The next page, if there is one."},
        "prev": {"type": ["string", "null"], "description": "The previous page, if any."},
    }
)
SCHEMAS["ProposalList"] = _object(
    {"items": {"type": "array", "items": _ref("ProposalSummary")}, "paging": _ref("Paging")}
)
SCHEMAS["Reply"] = _object(
    {
        "id": ID,
        "assignment_id": ID,
        "proposal_id": ID,
        "round": {"type": "integer", "minimum": 1},
        "kind": {"type": "string", "enum": _values(LetterKind)},
        "shape": {"type": "string", "enum": _values(LetterShape)},
        "status": {"type": "string", "enum": _values(ReplyStatus)},
        "title": STRING,
        "doc_number": STRING,
        "category": {"type": ["string", "null"], "description": "The result category (A, B, C…)."},
        "letter_date": NULLABLE_DATE,
        "signed_at": NULLABLE_DATETIME,
        "pdf_sha256": {
            "type": ["string", "null"],
            "pattern": "^[0-9a-f]{64}$",
            "description": "SHA-256 of the archival PDF stored at sign-off.",
        },
        "pdf_size": {"type": ["integer", "null"], "minimum": 0},
        "updated_at": DATETIME,
        "links": _links("self", "pdf", "assignment", "proposal"),
    },
    "A reply letter or co-handling opinion, without its text (the PDF has it).",
)


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json_response(description: str, schema_name: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema_name)}},
    }


UNAUTHORIZED = {
    **_error_response("No token, or one that is unknown, revoked or expired."),
    "headers": {"WWW-Authenticate": {"schema": STRING, "description": "Bearer challenge"}},
}
NOT_FOUND = _error_response("No such object, or one the token's user may not see.")


def _id_parameter(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


LIST_PARAMETERS = [
    _query("session", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "Session id."),
    _query(
        "unit",
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "Handling unit id (ignored for a unit's own clerks and viewers, who see their unit's).",
    ),
    _query(
        "status",
        {"type": "string", "enum": _values(AssignmentStatus)},
        "An assignment in this state.",
    ),
    _query("type", {"type": "string", "enum": _values(CaseType)}, "Proposal or NPC suggestion."),
    _query(
        "key",
        {"type": "string", "enum": ["1", "0", "true", "false"]},
        "Key proposals only, or none.",
    ),
    _query(
        "due",
        {"type": "string", "enum": _values(DueState)},
        "An assignment awaiting its reply with this deadline state.",
    ),
    _query("q", {"type": "string", "maxLength": 100}, "Search text: every word must occur."),
    _query("sort", {"type": "string", "enum": list(SORTS)}, "Order (default: earliest deadline)."),
    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page number."),
    _query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "Items a page (default: the site's page size, 25 unless configured).",
    ),
]


def _get(operation_id: str, summary: str, responses: dict[str, Any], parameters=None) -> dict:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "responses": {**responses, "401": UNAUTHORIZED},
    }
    if parameters:
        operation["parameters"] = parameters
    return {"get": operation}


PATHS: dict[str, Any] = {
    "/proposals": _get(
        "listProposals",
        "Proposals the token's user may see, filtered and paged",
        {
            "200": _json_response("A page of proposals", "ProposalList"),
            "400": _error_response("A filter or paging value is not valid."),
        },
        LIST_PARAMETERS,
    ),
    "/proposals/{proposal_id}": _get(
        "getProposal",
        "One proposal with its suggestions, proposers, assignments and letters",
        {"200": _json_response("The proposal", "Proposal"), "404": NOT_FOUND},
        [_id_parameter("proposal_id")],
    ),
    "/assignments/{assignment_id}": _get(
        "getAssignment",
        "One assignment: its unit, state, deadlines and letters",
        {"200": _json_response("The assignment", "AssignmentWithProposal"), "404": NOT_FOUND},
        [_id_parameter("assignment_id")],
    ),
    "/replies/{reply_id}": _get(
        "getReply",
        "One letter's status and record",
        {"200": _json_response("The letter", "Reply"), "404": NOT_FOUND},
        [_id_parameter("reply_id")],
    ),
    "/replies/{reply_id}/pdf": _get(
        "getReplyPdf",
        "The letter as PDF: a signed letter's archival copy, else the current draft",
        {
            "200": {
                "description": "The PDF",
                "content": {
                    "application/pdf": {
                        "schema": {"type": "string", "contentMediaType": "application/pdf"}
                    }
                },
            },
            "404": NOT_FOUND,
            "500": _error_response("The archival copy failed its checksum; nothing is sent."),
        },
        [_id_parameter("reply_id")],
    ),
    "/openapi.json": _get(
        "getOpenApi",
        "This description",
        {
            "200": {
                "description": "The OpenAPI document",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["openapi", "info", "paths"],
                            "properties": {
                                "openapi": STRING,
                                "info": {"type": "object"},
                                "paths": {"type": "object"},
                            },
                        }
                    }
                },
            }
        },
    ),
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Proposal tracker API",
        "version": "1",
        "description": (
            "Read-only access to proposals, their assignments to handling units, reply "
            "status and letters. Create a token under Account → API tokens and send it as "
            "`Authorization: Bearer <token>`. A token sees exactly what its user sees in the "
            "web interface; anything else answers 404, like an id that does not exist."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": 'A token "trk_" followed by 40 characters.',
            }
        },
        "schemas": SCHEMAS,
    },
}


def spec() -> dict[str, Any]:
    """A copy of the description (callers may change it)."""
    return deepcopy(SPEC)
