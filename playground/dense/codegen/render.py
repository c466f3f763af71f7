"""Filling the code templates: string.Template text plus blocks picked by name, and
quoting the values that go into them.

A template holds the text of one output, then its blocks: a line `%% slot variant ...`
starts a block that fills `$slot` when one of its variants is among the choices; it
runs to the next `%%` line, blank lines included. A slot with no block chosen is empty.
A placeholder alone on its line (`${name}`) indents every line of its value as that
line is indented, and an empty value removes the line, so a block left out leaves no
trace. Values go in last and are never read as template text (a column name may hold `$`).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping
from importlib import resources
from string import Template

ALONE = re.compile(r"( *)\$\{(\w+)\}")
BLOCK = re.compile(r"^%% (.+)\n", re.M)


def render(name: str, choices: set[str], values: Mapping[str, str],
           package: str = __package__) -> str:
    """Template `name` (a file of `package`) with the blocks of the chosen variants,
    then the values."""
    text, *parts = BLOCK.split(resources.files(package).joinpath(name).read_text("utf-8"))
    picked: dict[str, str] = {}
    for head, block in zip(parts[::2], parts[1::2]):
        slot, *variants = head.split()
        if choices.isdisjoint(variants):
            picked.setdefault(slot, "")
        elif picked.get(slot):
            raise ValueError(f"{name}: two blocks for ${slot} in {sorted(choices)}")
        else:
            picked[slot] = block[:-1]  # its newline belongs to the next `%%` line
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


def in_docstring(text: str) -> str:
    """A name of the user's as docstring text: it can't end or break the docstring."""
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return "".join(c for c in text if c >= " " or c == "\n")


def shell_word(text: str) -> str:
    """`text` as one word of a shell command line, quoted where it needs to be."""
    safe = all(c.isalnum() or c in "._-/" for c in text)
    return text if safe and text else "'" + text.replace("'", "'\\''") + "'"
