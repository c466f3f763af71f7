"""Filling the code templates: string.Template text, plus blocks picked by name,
and quoting the values that go into them.

A template file holds the text of one output, then its blocks: a line
`%% slot variant ...` starts a block that fills `$slot` when one of its
variants is among the choices, and the block runs to the next `%%` line,
blank lines included. A slot whose variants are all left out is empty.

A placeholder alone on its line (`${name}`) takes that line's indent for
every line of its value, and an empty value removes the line, so a block left
out leaves no trace. Values are put in once, after the blocks, and are never
read as template text themselves (a column name may hold a `$`).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Collection, Mapping
from functools import cache
from importlib import resources
from string import Template

ALONE = re.compile(r"( *)\$\{(\w+)\}")
BLOCK = re.compile(r"^%% (.+)\n", re.M)


@cache
def load(name: str) -> tuple[str, tuple[tuple[str, frozenset[str], str], ...]]:
    """The template's text, and its blocks: (slot, variants, text) each."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    main, *parts = BLOCK.split(text)
    blocks = []
    for head, block in zip(parts[::2], parts[1::2]):
        slot, *variants = head.split()
        # The newline before the next `%%` line ends the block's last line.
        blocks.append((slot, frozenset(variants), block[:-1]))
    return main, tuple(blocks)


def render(name: str, choices: Collection[str], values: Mapping[str, str]) -> str:
    """Template `name` with the blocks of the chosen variants, then the values."""
    text, blocks = load(name)
    picked = {slot: "" for slot, _, _ in blocks}
    for slot, variants, block in blocks:
        if not variants.isdisjoint(choices):
            if picked[slot]:
                raise ValueError(f"{name}: two blocks for ${slot} in {sorted(choices)}")
            picked[slot] = block
    # A block may name other slots: put blocks in until none is left.
    while (filled := fill(text, picked, partial=True)) != text:
        text = filled
    return fill(text, values)


def fill(text: str, values: Mapping[str, str], partial: bool = False) -> str:
    """`text` with `values` put in; with `partial`, unknown names stay as they are."""
    lines = []
    for line in text.splitlines():
        alone = ALONE.fullmatch(line)
        if alone and (alone[2] in values or not partial):
            if values[alone[2]]:
                lines.append(textwrap.indent(values[alone[2]], alone[1]))
        elif partial:
            lines.append(Template(line).safe_substitute(values))
        else:
            lines.append(Template(line).substitute(values))
    return "\n".join(lines)


def py_literal(text: str) -> str:
    """A Python string literal in double quotes (JSON's escapes are Python's too)."""
    return json.dumps(text, ensure_ascii=False)


def shell_word(text: str) -> str:
    """`text` as one word of a shell command line, quoted where it needs to be."""
    safe = all(c.isalnum() or c in "._-/" for c in text)
    return text if safe and text else "'" + text.replace("'", "'\\''") + "'"
