"""Catalogue chores: ``python -m app.translations_tool fill-english PO`` and ``check``.

Message ids are English, so the English catalogue's translation of an id is the id itself;
``fill-english`` writes that, so the English catalogue is always complete too.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def load(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def fill_english(path: Path) -> int:
    catalog = load(path)
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string or ()):
                message.string = tuple(message.id)
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
    return filled


def problems(path: Path) -> list[str]:
    """Empty or fuzzy entries of a catalogue, as readable lines."""
    found = []
    for message in load(path):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            found.append(f"{path}: untranslated: {message.id!r}")
        if message.fuzzy:
            found.append(f"{path}: fuzzy: {message.id!r}")
    return found


def main(argv: list[str]) -> int:
    command, *paths = argv
    if command == "fill-english":
        for name in paths:
            print(f"{name}: filled {fill_english(Path(name))}")
        return 0
    if command == "check":
        issues = [line for name in paths for line in problems(Path(name))]
        print("\n".join(issues) or "catalogues complete")
        return 1 if issues else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
