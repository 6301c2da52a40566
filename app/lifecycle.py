"""The one referral state machine (DESIGN.md: referral lifecycle).

``proposed → sent → accepted → in_progress → completed``, with ``declined``, ``expired`` and
``returned`` leading back to the owner's queue, and ``withdrawn`` when the resident or team
cancels. Every change of state goes through :func:`check_transition`.
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
