"""Password hashing: argon2id with the library's defaults, in one place.

The login, the account pages, the account service, the demo seed and the benchmarks hash and
check passwords here. No Flask and no database: a hash is a plain string in and out.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2 hash to store for ``password`` (salted, so never the same twice)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; False, never an error, for a hash that
    is malformed or was made by something else."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
