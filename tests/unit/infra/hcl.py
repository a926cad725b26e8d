"""infra/*.tf as data: python-hcl2's reading of a folder, and the few expression shapes the
tests evaluate.

Expressions stay strings (``"${local.services}"``); the ones resolved here (``local.x``,
``toset(local.x)``, ``[literal, ...]`` and ``{for k in local.x : k => ...}``) are what the
configuration uses for ``for_each``. A refactor into another shape fails loudly rather than
passing silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

from tests.support.cloud_run.infra import HCL_OPTIONS, parse_hcl


@dataclass
class Terraform:
    texts: dict[str, str] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    blocks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # moved, removed

    def resource(self, rtype: str, name: str) -> dict[str, Any]:
        assert name in self.resources.get(rtype, {}), f"no resource {rtype}.{name}"
        return self.resources[rtype][name]

    def every_resource(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for rtype, named in self.resources.items():
            for name, body in named.items():
                yield rtype, name, body

    def typed(self, rtype: str) -> Iterator[tuple[str, dict[str, Any]]]:
        return ((name, body) for t, name, body in self.every_resource() if t == rtype)

    def local(self, name: str) -> Any:
        assert name in self.locals, f"no local.{name}"
        return self.locals[name]


def load(folder: Path) -> Terraform:
    tf = Terraform()
    for path in sorted(folder.glob("*.tf")):
        tf.texts[path.name] = path.read_text("utf-8")
        doc = parse_hcl(path)
        for block in doc.get("locals", []):
            assert not set(block) & set(tf.locals), f"local declared twice in {path.name}"
            tf.locals.update(block)
        for kind, into in (("variable", tf.variables), ("module", tf.modules)):
            for block in doc.get(kind, []):
                into.update(block)
        for block in doc.get("output", []):
            tf.outputs.update(block)
        for kind in ("moved", "removed"):
            tf.blocks.setdefault(kind, []).extend(doc.get(kind, []))
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                tf.resources.setdefault(rtype, {}).update(named)
    return tf


def parsed(expression: str) -> Any:
    """An HCL expression as python-hcl2 reads it, to compare with what it reads in infra/."""
    return hcl2.loads(f"x = {expression}\n", serialization_options=HCL_OPTIONS)["x"]


def inner(value: object) -> str:
    """``${expr}`` -> ``expr``; anything else is not a pure expression."""
    assert isinstance(value, str), value
    assert value.startswith("${"), f"not an expression: {value!r}"
    assert value.endswith("}"), f"not an expression: {value!r}"
    return value[2:-1]


_FOR = re.compile(r"\{for (\w+)(?:, (\w+))? in (local\.\w+) : (\w+) =>")


def keys_of(tf: Terraform, expr: str) -> list[str]:
    """The keys (or set members) a for_each expression yields."""
    expr = expr.strip()
    if expr.startswith("toset(") and expr.endswith(")"):
        expr = expr[len("toset(") : -1]
    if (literal := re.fullmatch(r"\[(.*)\]", expr)) is not None:
        return re.findall(r'"([^"]*)"', literal.group(1))
    assert re.fullmatch(r"local\.\w+", expr), f"unsupported for_each source {expr!r}"
    value = tf.local(expr.removeprefix("local."))
    if isinstance(value, str) and (comprehension := _FOR.match(inner(value))) is not None:
        first, _, source, key = comprehension.groups()
        assert key == first, f"{expr}: keyed by {key}, not by the iterated key or item"
        return keys_of(tf, source)
    if isinstance(value, str):
        return keys_of(tf, inner(value))
    if isinstance(value, dict):
        return list(value)
    assert isinstance(value, list), f"{expr} is neither a map nor a list: {value!r}"
    return [str(v) for v in value]


def for_each_keys(tf: Terraform, body: dict[str, Any]) -> list[str]:
    return keys_of(tf, inner(body["for_each"]))


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block ``name`` (python-hcl2 gives blocks as one-element lists)."""
    found = body.get(name)
    assert isinstance(found, list), f"no {name} block"
    assert len(found) == 1, f"expected one {name} block, got {found!r}"
    result: dict[str, Any] = found[0]
    return result


def dynamic_blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [entry[name] for entry in body.get("dynamic", []) if name in entry]


def comprehension_template(value: str) -> str:
    """``{for x in ... : x => "TEMPLATE"}`` -> ``TEMPLATE``."""
    match = re.search(r'=> "(.*)"\}$', inner(value))
    assert match is not None, value
    return match.group(1).replace('\\"', '"')


def render(template: str, prefix: str, name: str, var: str) -> str:
    """A name template like ``${var.name_prefix}-${replace(x, "_", "-")}`` for one value."""
    expected = f'${{var.name_prefix}}-${{replace({var}, "_", "-")}}'
    assert template == expected, f"name template changed: {template!r}"
    return f"{prefix}-{name.replace('_', '-')}"
