"""``NamedTuple`` records without the per-class start-up cost.

pinflow keeps its records as NamedTuples (typed, immutable, cheap to pass to
worker processes). But ``typing.NamedTuple`` compiles every field's string
annotation (``from __future__ import annotations``) into a ForwardRef, then
``collections.namedtuple`` compiles a ``__new__`` per class: about 0.13 ms a
class, 5 ms of a one-file lint for the 41 records it loads, a tenth of the
whole run. This base builds the same kind of class (a tuple subclass with
``_fields``, ``_field_defaults``, ``_make``, ``_replace``, ``_asdict``, field
properties, pickling, the NamedTuple ``repr``) from shared functions, with no
code generated at run time. Type checkers see ``typing.NamedTuple`` itself.
tests/test_records.py holds it to typing.NamedTuple's behaviour.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    try:
        from _collections import _tuplegetter
    except ImportError:  # another Python implementation
        from operator import itemgetter

        def _tuplegetter(index: int, doc: str) -> property:
            return property(itemgetter(index), doc=doc)

    def _bind(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        fields: tuple[str, ...] = cls._fields
        if len(args) > len(fields):
            raise TypeError(f"{cls.__name__}() takes {len(fields)} positional arguments but {len(args)} were given")
        values = list(args)
        defaults = cls._field_defaults
        for name in fields[len(args):]:
            if name in kwargs:
                values.append(kwargs.pop(name))
            elif name in defaults:
                values.append(defaults[name])
            else:
                raise TypeError(f"{cls.__name__}() missing required argument: '{name}'")
        if kwargs:
            name = next(iter(kwargs))
            how = "multiple values for argument" if name in fields else "an unexpected keyword argument"
            raise TypeError(f"{cls.__name__}() got {how} '{name}'")
        return tuple(values)

    def _new(cls: type, *args: Any, **kwargs: Any) -> Any:
        if not kwargs:
            missing = len(cls._fields) - len(args)
            if not missing:
                return tuple.__new__(cls, args)
            if 0 < missing <= len(cls._tail):  # positional, the rest defaulted
                return tuple.__new__(cls, args + cls._tail[-missing:])
        return tuple.__new__(cls, _bind(cls, args, kwargs))

    def _make(cls: type, iterable: Any) -> Any:
        result = tuple.__new__(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self: tuple[Any, ...], **changes: Any) -> Any:
        result = self._make([changes.pop(name, value) for name, value in zip(self._fields, self)])
        if changes:
            raise ValueError(f"Got unexpected field names: {list(changes)!r}")
        return result

    def _asdict(self: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(self._fields, self))

    def _repr(self: tuple[Any, ...]) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"{type(self).__name__}({inner})"

    def _getnewargs(self: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(self)

    class _RecordMeta(type):
        def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> type:
            if ns.get("_root", False):
                return super().__new__(mcls, name, bases, ns)
            fields = tuple(ns.get("__annotations__", {}))
            defaults = {f: ns.pop(f) for f in fields if f in ns}
            for before, after in zip(fields, fields[1:]):
                if before in defaults and after not in defaults:
                    raise TypeError(f"{name}: field {after!r} without a default follows a field with one")
            for attr in ("_fields", "_make", "_replace", "_asdict", "__new__", "__getnewargs__"):
                if attr in ns:
                    raise AttributeError(f"{name}: cannot overwrite NamedTuple attribute {attr}")
            body = {
                "__slots__": (), "_fields": fields, "_field_defaults": defaults, "__match_args__": fields,
                "_tail": tuple(defaults.values()),
                "__new__": _new, "_make": classmethod(_make), "_replace": _replace, "_asdict": _asdict,
                "__getnewargs__": _getnewargs, "__repr__": _repr,
            }
            body.update((f, _tuplegetter(i, f"Alias for field number {i}")) for i, f in enumerate(fields))
            body.update(ns)  # the class's own docstring, methods and properties win, as with NamedTuple
            return type.__new__(type, name, (tuple,), body)

    class NamedTuple(metaclass=_RecordMeta):
        _root = True
