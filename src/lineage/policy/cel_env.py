"""What policy rules see, and how they are evaluated (CEL, through ``cel-expr-python``,
the CEL project's own C++ implementation).

Rules are type-checked when the policy is loaded: a misspelt attribute, a comparison
of a string with a number or a rule that is not a boolean is an error naming the rule.

Attributes (every time is a CEL ``timestamp``; an absent one tests false with ``has``):

``post``
    ``id`` (pseudonymous), ``platform``, ``surface``, ``visibility``, ``jurisdiction``,
    ``created``; ``deleted``: when its author deleted it, if a deletion request was
    recorded by the check's ``--as-of`` time.
``subject`` (the post's author)
    ``id`` (pseudonymous), ``age`` (the bracket the pipeline recorded, e.g. ``adult``,
    ``minor``; empty if none); ``objected``: when they objected, if recorded by
    ``--as-of`` (the earliest objection); ``erased``: when they asked for erasure, if
    the request was recorded by ``--as-of`` (the earliest).
``history`` (the record that reached the shard)
    ``steps``: the steps that made it from the post, oldest first; ``drops``: reasons
    recorded against the post or that record (a dropped item that still reached a
    shard).
``time``
    ``ingest``: when the post was recorded; ``use``: when the data was used — the
    training run of a model (of its base model, for what a fine-tune inherits), or
    when the shard or dataset itself was recorded; ``training``: the same training run
    time, absent when checking a shard or dataset; ``as_of``: the check's time.
``params``
    the policy's ``[params]`` table (TOML date-times become timestamps).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from cel_expr_python import cel
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2

from lineage.errors import InputError
from lineage.model.times import format_us
from lineage.policy.document import Policy, Rule, plain_json

_PACKAGE = "lineage.policy"
_STRING, _TIME, _STRINGS, _BOOL = "string", "time", "strings", "bool"
VARIABLES: dict[str, dict[str, str]] = {
    "post": {
        "id": _STRING,
        "platform": _STRING,
        "surface": _STRING,
        "visibility": _STRING,
        "jurisdiction": _STRING,
        "created": _TIME,
        "deleted": _TIME,
    },
    "subject": {"id": _STRING, "age": _STRING, "objected": _TIME, "erased": _TIME},
    "history": {"steps": _STRINGS, "drops": _STRINGS},
    "time": {"ingest": _TIME, "use": _TIME, "training": _TIME, "as_of": _TIME},
}
FIELDS: tuple[tuple[str, str], ...] = tuple(
    (variable, name) for variable, names in VARIABLES.items() for name in names
)
"""Every attribute, in the order of an origin's value tuple."""
FIELD_INDEX = {f"{variable}.{name}": n for n, (variable, name) in enumerate(FIELDS)}

_F = descriptor_pb2.FieldDescriptorProto
_PROTO_TYPES = {
    _STRING: (_F.TYPE_STRING, None, _F.LABEL_OPTIONAL),
    _TIME: (_F.TYPE_MESSAGE, ".google.protobuf.Timestamp", _F.LABEL_OPTIONAL),
    _STRINGS: (_F.TYPE_STRING, None, _F.LABEL_REPEATED),
    _BOOL: (_F.TYPE_BOOL, None, _F.LABEL_OPTIONAL),
}


def _message_name(variable: str) -> str:
    return variable.title().replace("_", "")


def _pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    file = descriptor_pb2.FileDescriptorProto(
        name="lineage/policy.proto",
        package=_PACKAGE,
        syntax="proto3",
        dependency=["google/protobuf/timestamp.proto"],
    )
    for variable, names in VARIABLES.items():
        message = file.message_type.add(name=_message_name(variable))
        for number, (name, kind) in enumerate(names.items(), 1):
            proto_type, type_name, label = _PROTO_TYPES[kind]
            field = message.field.add(name=name, number=number, type=proto_type, label=label)
            if type_name:
                field.type_name = type_name
    pool.Add(file)
    return pool


_POOL = _pool()
_CLASSES = {
    variable: message_factory.GetMessageClass(
        _POOL.FindMessageTypeByName(f"{_PACKAGE}.{_message_name(variable)}")
    )
    for variable in VARIABLES
}
_ENV = cel.NewEnv(
    descriptor_pool=_POOL,
    variables={
        **{v: cel.Type(f"{_PACKAGE}.{_message_name(v)}") for v in VARIABLES},
        "params": cel.Type.Map(cel.Type.STRING, cel.Type.DYN),
    },
)


def _param_value(value: Any) -> Any:
    if isinstance(value, datetime):
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(value)
        return stamp
    if isinstance(value, dict):
        return {key: _param_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_param_value(item) for item in value]
    return value


Values = list[Any]
"""An origin's attribute values in :data:`FIELDS` order: strings, times in µs (or
None when absent), tuples of strings, booleans."""

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def dependencies(expr: str) -> tuple[int, ...]:
    """Indexes in :data:`FIELDS` of the attributes ``expr`` may read.

    A CEL expression reaches a message field only through a selection naming it, so a
    field whose name is no token of the expression cannot matter; a variable used
    other than by selecting a field (``post == …``) may depend on all of its fields.
    """
    tokens = set(_IDENT.findall(expr))
    found = []
    for n, (variable, name) in enumerate(FIELDS):
        if variable not in tokens:
            continue
        whole = re.search(rf"\b{variable}\b(?!\s*\.\s*[A-Za-z_])", expr) is not None
        if whole or name in tokens:
            found.append(n)
    return tuple(found)


_PARAM = re.compile(r"\bparams\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")
_KINDS = tuple(kind for names in VARIABLES.values() for kind in names.values())


def parameters_read(expr: str) -> tuple[str, ...]:
    """The names of the ``params`` entries ``expr`` selects (``params.pauses``)."""
    return tuple(sorted(set(_PARAM.findall(expr))))


@dataclass
class CompiledRule:
    """A policy rule compiled to a CEL program, with the fields it reads and its outcomes."""

    rule: Rule
    program: Any
    depends: tuple[int, ...]
    key: Callable[[Values], Any]
    """The values the rule depends on, as one hashable key."""
    cache: dict[Any, str | None]
    """Outcome by key: None (pass), ``"fail"`` or the evaluation error."""
    params: tuple[str, ...] = ()
    """The ``params`` entries the rule selects."""

    def read(self, values: Values, params: dict[str, Any]) -> dict[str, Any]:
        """What the rule read of an origin, as a finding shows it: each attribute it
        depends on (times in RFC 3339, absent ones as None), and of each parameter it
        selects the entries that name one of those values (all of it if none does)."""
        shown: dict[str, Any] = {}
        strings: set[str] = set()
        for n in self.depends:
            value = values[n]
            if _KINDS[n] == _TIME:
                value = format_us(value) if value is not None else None
            elif _KINDS[n] == _STRINGS:
                value = list(value)
                strings.update(value)
            elif isinstance(value, str) and value:
                strings.add(value)
            shown[f"{FIELDS[n][0]}.{FIELDS[n][1]}"] = value
        for name in self.params:
            if name in params:
                shown[f"params.{name}"] = plain_json(_selected(params[name], strings))
        return shown


def _mentions(value: Any, strings: set[str]) -> bool:
    if isinstance(value, str):
        return value in strings
    if isinstance(value, list):
        return any(_mentions(item, strings) for item in value)
    if isinstance(value, dict):
        return any(_mentions(item, strings) for item in value.values())
    return False


def _selected(value: Any, strings: set[str]) -> Any:
    if isinstance(value, list):
        return [item for item in value if _mentions(item, strings)] or value
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key in strings} or value
    return value


def _key_of(depends: tuple[int, ...]) -> Callable[[Values], Any]:
    if not depends:
        return lambda values: None
    getter = itemgetter(*depends)
    return getter if len(depends) > 1 else lambda values: (getter(values),)


def compile_rules(policy: Policy) -> list[CompiledRule]:
    """Type-check every rule; :class:`InputError` names the first bad one."""
    compiled = []
    for rule in policy.rules:
        try:
            program = _ENV.compile(rule.expr)
        except RuntimeError as exc:
            detail = str(exc).removeprefix("INVALID_ARGUMENT: ").removeprefix("ERROR: ")
            detail = " ".join(detail.split("\n", 1)[0].split())
            raise InputError(f"{policy.source}: rule {rule.id!r}: {detail}") from exc
        returns = program.return_type().name()
        if returns not in ("bool", "BOOL", "dyn", "DYN"):
            raise InputError(
                f"{policy.source}: rule {rule.id!r}: must be true or false, not a {returns}"
            )
        depends = dependencies(rule.expr)
        compiled.append(
            CompiledRule(rule, program, depends, _key_of(depends), {}, parameters_read(rule.expr))
        )
    return compiled


def _messages(values: Values) -> dict[str, Any]:
    built: dict[str, Any] = {}
    for variable, names in VARIABLES.items():
        message = _CLASSES[variable]()
        for name, kind in names.items():
            value = values[FIELD_INDEX[f"{variable}.{name}"]]
            if value is None or value == "" or value is False:
                continue
            if kind == _TIME:
                stamp = getattr(message, name)
                stamp.seconds, micros = divmod(value, 1_000_000)
                stamp.nanos = micros * 1000
            elif kind == _STRINGS:
                getattr(message, name).extend(value)
            else:
                setattr(message, name, value)
        built[variable] = message
    return built


_UNSEEN = "unseen"
_MEMO_SIZE = 200_000
"""Outcomes remembered (per rule, and for whole origins) before starting afresh."""


class Evaluator:
    """Evaluates a policy's rules over origins, once per distinct input of each rule."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.rules = compile_rules(policy)
        self.params = _param_value(policy.params)
        needed = sorted({n for compiled in self.rules for n in compiled.depends})
        self.needed = frozenset(f"{FIELDS[n][0]}.{FIELDS[n][1]}" for n in needed)
        """The attributes some rule may read: the others need not be computed."""
        self._key = _key_of(tuple(needed))
        self._memo: dict[Any, tuple[str | None, ...]] = {}

    def outcomes(self, values: Values) -> tuple[str | None, ...]:
        """Per rule: None if it passes, ``"fail"``, or the evaluation error."""
        key = self._key(values)
        found = self._memo.get(key)
        if found is None:
            found = self._outcomes(values)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = found
        return found

    def _outcomes(self, values: Values) -> tuple[str | None, ...]:
        results: list[str | None] = []
        data: dict[str, Any] | None = None
        for compiled in self.rules:
            key = compiled.key(values)
            outcome = compiled.cache.get(key, _UNSEEN)
            if outcome is _UNSEEN:
                if data is None:
                    data = _messages(values)
                    data["params"] = self.params
                outcome = _evaluate(compiled.program.eval, data)
                if len(compiled.cache) >= _MEMO_SIZE:
                    compiled.cache.clear()
                compiled.cache[key] = outcome
            results.append(outcome)
        return tuple(results)


def _evaluate(run: Callable[..., Any], data: dict[str, Any]) -> str | None:
    try:
        result = run(data=data)
    except RuntimeError as exc:
        return "error: " + str(exc).split("\n", 1)[0]
    value = result.value()
    if result.type().name() in ("ERROR", "error"):
        return f"error: {value}"
    if value is True:
        return None
    if value is False:
        return "fail"
    return f"error: the rule gave {value!r}, not true or false"
