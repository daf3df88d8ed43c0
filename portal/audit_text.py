"""An audit row as a sentence people read: "Gloria Steward approved the term", "Carla Ruiz published the product".

The action code (``term.approve``, ``product.published``) stays in the database and the exports; pages show this.
"""

PAST = {
    "add": "added",
    "adopt": "adopted",
    "apply": "applied",
    "approval": "gave an approval on",
    "approve": "approved",
    "cancel": "cancelled",
    "cast": "cast",
    "change": "changed",
    "close": "closed",
    "comment": "commented on",
    "create": "created",
    "delete": "deleted",
    "deprecate": "deprecated",
    "deprecated": "deprecated",
    "escalate": "escalated",
    "expire": "saw the expiry of",
    "export": "exported",
    "import": "imported",
    "in_force": "put in force",
    "link": "linked",
    "open": "opened",
    "provisioning_failed": "could not provision",
    "published": "published",
    "push": "pushed",
    "reject": "rejected",
    "remove": "removed",
    "renew": "renewed",
    "request": "requested",
    "resolve": "resolved",
    "retire": "retired",
    "retired": "retired",
    "return": "returned",
    "revoke": "revoked",
    "run_fail": "saw a failure of",
    "run_start": "started",
    "schema_cancel": "cancelled the scheduled schema change of",
    "schema_change": "changed the schema of",
    "schedule": "scheduled",
    "schema_schedule": "scheduled a schema change of",
    "start": "started",
    "submit": "submitted the {noun} for review",
    "unlink": "unlinked",
    "update": "updated",
    "withdraw": "withdrew",
    "draft": "moved back to draft",
}


def actor_name(user) -> str:
    if user is None:
        return "The portal"
    return user.get_full_name() or user.username


def audit_sentence(event) -> str:
    """``event``: a ``portal.AuditEvent`` (actor prefetched)."""
    noun, _sep, verb = event.action.partition(".")
    noun = noun.replace("_", " ")
    if noun == "vote" and verb == "cast":
        return f"{actor_name(event.actor)} cast a vote"
    phrase = PAST.get(verb, verb.replace("_", " "))
    if "{noun}" in phrase:
        return f"{actor_name(event.actor)} {phrase.format(noun=noun)}"
    return f"{actor_name(event.actor)} {phrase} the {noun}"


def state_change(event) -> str:
    """``draft → in review``, or empty when the row moved no state."""
    if not event.to_state:
        return ""
    before = (event.from_state or "new").replace("_", " ")
    return f"{before} → {event.to_state.replace('_', ' ')}"
