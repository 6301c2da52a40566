"""The two state machines: referrals (DESIGN.md: referral lifecycle) and support requests;
and the two states of a task.

Referrals: ``proposed → sent → accepted → in_progress → completed``, with ``declined``,
``expired`` and ``returned`` leading back to the owner's queue, and ``withdrawn`` when the
resident or team cancels. Every change of state goes through :func:`check_transition`.

Requests (meldingen): ``new`` until a coordinator of the owning team has the request,
``in_progress`` while one has, ``closed`` when the owning team wrote down how it ended (or
merged it into another request as its duplicate). Nothing reopens a closed request: a resident
who says it was not solved gives the owning team a task (``reopen_request``) to look again, so
``closed`` is final. Every change of status goes through :func:`check_request_transition`,
which also checks who makes the move (:data:`REQUEST_MOVES`); the services call it through
``app.services.request_states``.

Two things that change during casework are deliberately not request states:

* A warm handover to another team (``transfer_team_id`` and its companions) runs beside the
  status. While it waits the owning team stays responsible and keeps working (it may pick the
  request up, assign a colleague, close it), so "handover asked" would have to be crossed with
  every open state. The machine sees the moment the receiving team accepts: the request
  starts again as ``new`` in the new team's queue, without a coordinator.
* Waiting for the resident (``waiting_since``) holds the legal clocks still but changes
  nobody's work: the request keeps its coordinator and the team may close it while waiting.
  It is a flag of the clocks (app/services/legal.py), orthogonal to the status.

Tasks are ``open`` until someone of the team completes them (or the request closes), then
``done`` for good; ``app.services.tasks.complete`` is the one way there.
"""

from __future__ import annotations

from typing import Final

REFERRAL_STATES: Final = (
    "proposed",
    "sent",
    "accepted",
    "in_progress",
    "completed",
    "declined",
    "expired",
    "returned",
    "withdrawn",
)

#: state → the states it may move to.
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "proposed": frozenset({"sent", "withdrawn"}),
    "sent": frozenset({"accepted", "declined", "expired", "withdrawn"}),
    "accepted": frozenset({"in_progress", "completed", "returned", "withdrawn"}),
    "in_progress": frozenset({"completed", "returned", "withdrawn"}),
    "completed": frozenset(),
    "declined": frozenset(),
    "expired": frozenset(),
    "returned": frozenset(),
    "withdrawn": frozenset(),
}

#: Final states that hand the question back to the owning team as a task.
BACK_TO_OWNER: Final = frozenset({"declined", "expired", "returned"})
#: States in which a referral is still alive (someone must act on it).
LIVE_STATES: Final = frozenset({"proposed", "sent", "accepted", "in_progress"})


class IllegalTransition(ValueError):
    """A referral cannot move from its state to the one asked."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"A referral in state {current!r} cannot become {target!r}.")
        self.current = current
        self.target = target


def check_transition(current: str, target: str) -> None:
    """Raise :class:`IllegalTransition` unless ``current → target`` is allowed."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(current, target)


# ── Requests ──────────────────────────────────────────────────────────────────────────

REQUEST_NEW: Final = "new"
REQUEST_IN_PROGRESS: Final = "in_progress"
REQUEST_CLOSED: Final = "closed"
REQUEST_STATES: Final = (REQUEST_NEW, REQUEST_IN_PROGRESS, REQUEST_CLOSED)
#: Every request starts here (intake by any channel).
REQUEST_INITIAL: Final = REQUEST_NEW
#: States in which the owning team still has work on the request.
OPEN_REQUEST_STATES: Final = frozenset({REQUEST_NEW, REQUEST_IN_PROGRESS})

#: A member (staff or team lead) of the team that owns the request.
OWNING_TEAM: Final = "owning_team"
#: A member (staff or team lead) of the team a waiting handover is addressed to.
RECEIVING_TEAM: Final = "receiving_team"
#: Everybody else: partners, administrators, other teams, the scheduler. No move is theirs.
OUTSIDER: Final = "outsider"
REQUEST_ACTORS: Final = (OWNING_TEAM, RECEIVING_TEAM, OUTSIDER)

#: (state, next state) → who may make that move. A pair that is missing is not a move. The
#: two pairs that keep the state are real moves with their own actor: another coordinator
#: (``in_progress`` stays) and a handover accepted before anyone picked the request up
#: (``new`` stays, in another team).
REQUEST_MOVES: Final[dict[tuple[str, str], frozenset[str]]] = {
    # pick up; assign a colleague
    (REQUEST_NEW, REQUEST_IN_PROGRESS): frozenset({OWNING_TEAM}),
    # assign another colleague
    (REQUEST_IN_PROGRESS, REQUEST_IN_PROGRESS): frozenset({OWNING_TEAM}),
    # the receiving team accepts a handover: it starts as new in that team
    (REQUEST_NEW, REQUEST_NEW): frozenset({RECEIVING_TEAM}),
    (REQUEST_IN_PROGRESS, REQUEST_NEW): frozenset({RECEIVING_TEAM}),
    # closed with a note on how it ended, or merged into another request as its duplicate
    (REQUEST_NEW, REQUEST_CLOSED): frozenset({OWNING_TEAM}),
    (REQUEST_IN_PROGRESS, REQUEST_CLOSED): frozenset({OWNING_TEAM}),
}

#: state → the states it may move to (whoever moves it).
REQUEST_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    state: frozenset(target for (current, target) in REQUEST_MOVES if current == state)
    for state in REQUEST_STATES
}


class IllegalRequestTransition(ValueError):
    """A request cannot move from its status to the one asked, or not by this actor."""

    def __init__(self, current: str, target: str, actor: str | None = None) -> None:
        by = f" by {actor!r}" if actor is not None else ""
        super().__init__(f"A request with status {current!r} cannot become {target!r}{by}.")
        self.current = current
        self.target = target
        self.actor = actor


def check_request_transition(current: str, target: str, actor: str | None = None) -> None:
    """Raise :class:`IllegalRequestTransition` unless ``current → target`` is a move, and,
    when ``actor`` is given (one of :data:`REQUEST_ACTORS`), a move that actor may make."""
    allowed = REQUEST_MOVES.get((current, target))
    if allowed is None:
        raise IllegalRequestTransition(current, target)
    if actor is not None and actor not in allowed:
        raise IllegalRequestTransition(current, target, actor)


# ── Tasks ─────────────────────────────────────────────────────────────────────────────

TASK_OPEN: Final = "open"
TASK_DONE: Final = "done"
TASK_STATES: Final = (TASK_OPEN, TASK_DONE)
