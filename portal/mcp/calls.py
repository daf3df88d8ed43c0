"""The one door every tool call and resource read goes through, whatever the transport.

``call_run`` (synchronous, so the ORM runs as in a request) does, in order: check the API token again (a revoke
bites at the next call), refuse a writing tool to a read-only caller, count the call against the token's rate limit,
run the tool (a thin wrapper over the apps' selectors and services, which decide every permission), and write one
audit row: who, which tool, the arguments (never a secret) and the size of the answer, or why it was refused.

Refusals are plain sentences for the agent. They come from the services' own messages (``DomainError``,
``PermissionDenied``) or from ``NotFound``, whose words are the same for a missing object and a hidden one.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied

from portal import outage
from portal.errors import DomainError
from portal.mcp.auth import Caller, NotAuthenticated, caller_authenticate
from portal.mcp.ratelimit import rate_limit_take
from portal.mcp.results import NotFound, compact_json
from portal.services import audit_record

logger = logging.getLogger(__name__)

SECRET_WORDS = ("token", "key", "password", "secret")
# Free text that may quote a person's data (a filter value, a purpose): the audit row keeps only its length.
FREE_TEXT = ("value", "purpose")
ARGUMENT_TEXT_LIMIT = 120


class CallRefused(Exception):
    """A call the portal did not carry out; ``reason`` says which kind of refusal (for the audit row)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    data: dict = field(default_factory=dict)
    text: str = "{}"


def arguments_for_audit(arguments: dict) -> dict:
    """The arguments as the audit row keeps them: nothing that looks like a secret, free text as its length only,
    other long text cut short."""
    kept = {}
    for name, value in arguments.items():
        if any(word in name.lower() for word in SECRET_WORDS):
            continue
        if name in FREE_TEXT and isinstance(value, str):
            value = f"<{len(value)} characters>"
        elif isinstance(value, str) and len(value) > ARGUMENT_TEXT_LIMIT:
            value = value[:ARGUMENT_TEXT_LIMIT] + "…"
        kept[name] = value
    return kept


def _audit(caller: Caller, *, tool: str, arguments: dict, outcome: str, size: int = 0, transport: str) -> None:
    audit_record(
        actor=caller.user,
        action="mcp.call",
        target=caller.token,
        to_state=outcome,
        data={
            "tool": tool,
            "arguments": arguments_for_audit(arguments),
            "result_bytes": size,
            "transport": transport,
        },
    )


def _refusal(error: Exception) -> CallRefused | None:
    """The agent-facing refusal for an exception a tool raised, or None for a bug."""
    if isinstance(error, CallRefused):
        return error
    if isinstance(error, NotFound):
        return CallRefused(str(error), reason="not_found")
    if isinstance(error, ObjectDoesNotExist):
        return CallRefused("Not found, or not visible to you.", reason="not_found")
    if isinstance(error, PermissionDenied):
        return CallRefused(str(error) or "You may not do this.", reason="denied")
    if isinstance(error, DomainError):
        message = f"{error.field}: {error.message}" if error.field else error.message
        return CallRefused(message, reason=error.code or "invalid")
    return None


def call_run(
    *,
    key: str | None,
    tool: str,
    arguments: dict,
    run: Callable[[Caller], dict],
    writes: bool = False,
    transport: str = "http",
) -> Answer:
    """Authenticate, gate, rate-limit, run and audit one call; ``CallRefused`` when it is not carried out (with
    ``reason="unavailable"`` while the database is unreachable: nothing can be checked, done or audited)."""
    try:
        return _call_run(key=key, tool=tool, arguments=arguments, run=run, writes=writes, transport=transport)
    except outage.UNAVAILABLE_ERRORS:
        logger.warning("MCP call to %s refused: the database is unavailable", tool)
        raise CallRefused(outage.MESSAGE, reason="unavailable") from None


def _call_run(*, key, tool, arguments, run, writes, transport) -> Answer:
    try:
        caller = caller_authenticate(key)
    except NotAuthenticated as error:
        logger.warning("MCP call to %s refused: the API token is not valid", tool)
        raise CallRefused(str(error), reason="unauthenticated") from None
    if writes and caller.read_only:
        _audit(caller, tool=tool, arguments=arguments, outcome="read_only", transport=transport)
        raise CallRefused(
            f"{tool} changes data, and this agent is read-only (a read-only API token, or the portal runs its MCP "
            "server read-only). Nothing was done.",
            reason="read_only",
        )
    decision = rate_limit_take(caller.token.token_key)
    if not decision.allowed:
        _audit(caller, tool=tool, arguments=arguments, outcome="rate_limited", transport=transport)
        raise CallRefused(
            f"Too many calls: this API token may make {decision.limit} calls a minute. "
            f"Try again in {decision.retry_after} seconds.",
            reason="rate_limited",
        )
    try:
        data = run(caller)
    except outage.UNAVAILABLE_ERRORS:
        raise
    except Exception as error:
        refusal = _refusal(error)
        if refusal is None:
            logger.exception("MCP tool %s failed", tool)
            refusal = CallRefused("The portal could not answer this call; the error has been logged.", reason="error")
        _audit(caller, tool=tool, arguments=arguments, outcome=refusal.reason, transport=transport)
        raise refusal from None
    text = compact_json(data)
    _audit(caller, tool=tool, arguments=arguments, outcome="ok", size=len(text.encode()), transport=transport)
    return Answer(data=data, text=text)
