"""pinflow.records.NamedTuple behaves as typing.NamedTuple does, for
everything pinflow (and its worker processes) do with a record."""
from __future__ import annotations

import pickle
import typing
from typing import Any

import pytest

from pinflow import records


def _pair(base: Any) -> type:
    class Point(base):  # type: ignore[misc,valid-type]
        """A point."""

        x: int
        y: str = "y"
        z: tuple[int, ...] = ()

        @property
        def doubled(self) -> int:
            return self.x * 2

        def describe(self) -> str:
            return f"{self.x}{self.y}"

    return Point


OURS, THEIRS = _pair(records.NamedTuple), _pair(typing.NamedTuple)

CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((1,), {}), ((1, "a"), {}), ((1, "a", (2,)), {}), ((), {"x": 3}), ((1,), {"z": (4,)}),
    ((), {"y": "b", "x": 5}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_construction_fields_and_tuple_behaviour_match(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    ours, theirs = OURS(*args, **kwargs), THEIRS(*args, **kwargs)
    assert tuple(ours) == tuple(theirs) and ours == theirs and hash(ours) == hash(theirs)
    assert (ours.x, ours.y, ours.z) == (theirs.x, theirs.y, theirs.z)
    assert repr(ours) == repr(theirs)
    assert ours._asdict() == theirs._asdict()
    assert ours._replace(y="q") == theirs._replace(y="q") and type(ours._replace(y="q")) is OURS
    assert ours.doubled == theirs.doubled and ours.describe() == theirs.describe()


def test_a_record_crosses_a_process_boundary() -> None:
    # Lint workers send findings back pickled: a module-level record must round-trip.
    from pinflow.findings import Finding

    assert Finding.__new__ is records._new  # type: ignore[attr-defined]  # (built by records)
    finding = Finding(*range(len(Finding._fields)))
    back = pickle.loads(pickle.dumps(finding))
    assert back == finding and type(back) is Finding


def test_class_attributes_match() -> None:
    assert OURS._fields == THEIRS._fields == ("x", "y", "z")
    assert OURS._field_defaults == THEIRS._field_defaults
    assert OURS.__match_args__ == THEIRS.__match_args__
    assert OURS.__doc__ == "A point."
    assert OURS._make([1, "b", ()]) == THEIRS._make([1, "b", ()])
    assert issubclass(OURS, tuple) and OURS.__name__ == "Point"
    x = OURS(1)
    with pytest.raises(AttributeError):
        x.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        x.other = 1  # type: ignore[attr-defined]  # (no __dict__: __slots__ = ())


@pytest.mark.parametrize(("args", "kwargs"), [((), {}), ((1, "a", (), 9), {}), ((1,), {"x": 2}), ((1,), {"w": 2})])
def test_bad_calls_raise_type_error_in_both(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for cls in (OURS, THEIRS):
        with pytest.raises(TypeError):
            cls(*args, **kwargs)


def test_replace_with_an_unknown_field_and_make_with_a_wrong_length_fail_in_both() -> None:
    for cls in (OURS, THEIRS):
        with pytest.raises(ValueError):
            cls(1)._replace(w=1)
        with pytest.raises(TypeError):
            cls._make([1])


def test_a_required_field_after_a_default_is_refused_like_typing() -> None:
    for base in (records.NamedTuple, typing.NamedTuple):
        with pytest.raises(TypeError):
            class Bad(base):  # type: ignore[misc,valid-type]
                a: int = 0
                b: int


def test_pinflow_records_are_built_without_generating_code() -> None:
    # The point of the module: typing.NamedTuple compiles code per class.
    import builtins

    calls = []
    real_eval, real_compile = builtins.eval, builtins.compile
    builtins.eval = lambda *a, **k: calls.append(a) or real_eval(*a, **k)  # type: ignore[assignment]
    builtins.compile = lambda *a, **k: calls.append(a) or real_compile(*a, **k)  # type: ignore[assignment]
    try:
        _pair(records.NamedTuple)
        ours = len(calls)
        _pair(typing.NamedTuple)
    finally:
        builtins.eval, builtins.compile = real_eval, real_compile
    assert ours == 0 and len(calls) > 0
