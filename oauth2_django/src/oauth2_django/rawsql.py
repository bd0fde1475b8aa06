"""Raw-cursor SQL for the per-request paths, built once per database alias from model metadata.

Compiling an ORM queryset costs several times more than running the small
indexed statement it produces, so the bearer lookup, the client lookup and
the token writes run SQL written here instead. Nothing about the ORM's
behaviour is given up: every table and column name comes from ``_meta`` and
is quoted by the backend, every value is a ``%s`` parameter prepared by its
field's ``get_db_prep_save`` (the backend's own adapters: SQLite's datetimes,
UUIDs, foreign keys by their target field; a ``str`` for a plain text column
is passed as it is, which is all that preparation would do), and every
selected column goes through the converters the ORM's compiler would apply
(SQLite's datetimes, JSON fields).

The builders are cached per alias and shared by every thread: the backends'
adapters and converters read only the connection's settings, never its state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, Field, Model, TextField
from django.db.models.signals import post_save, pre_save

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


def field(model: type[Model], name: str) -> Field[Any, Any]:
    """The concrete field ``name`` of ``model``."""
    found = model._meta.get_field(name)
    if not isinstance(found, Field):
        raise TypeError(f"{model.__name__}.{name} is not a concrete field")
    return found


def column(found: Field[Any, Any]) -> str:
    if found.column is None:
        raise TypeError(f"{found} has no column")
    return found.column


def quoted(connection: BaseDatabaseWrapper, model: type[Model], name: str) -> str:
    """The quoted column of ``model``'s field ``name``."""
    return str(connection.ops.quote_name(column(field(model, name))))


def table(connection: BaseDatabaseWrapper, model: type[Model]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


@dataclass(frozen=True, slots=True)
class RowConverter:
    """The ORM compiler's converters for the columns of a row, by position."""

    converters: tuple[tuple[int, tuple[Converter, ...], Any], ...]

    @classmethod
    def build(cls, connection: BaseDatabaseWrapper, selected: Iterable[tuple[str, Field[Any, Any]]]) -> RowConverter:
        """For columns ``selected`` as (table alias, field), in the order the SELECT lists them."""
        found = []
        for index, (alias, selected_field) in enumerate(selected):
            expression = selected_field.get_col(alias)
            converters = (*connection.ops.get_db_converters(expression), *expression.get_db_converters(connection))
            if converters:
                found.append((index, tuple(converters), expression))
        return cls(tuple(found))

    def convert(self, row: Sequence[Any], connection: BaseDatabaseWrapper) -> list[Any]:
        values = list(row)
        for index, converters, expression in self.converters:
            for converter in converters:
                values[index] = converter(values[index], expression, connection)
        return values


def _holds_text(found: Field[Any, Any]) -> bool:
    """Whether the column is plain text, whose ``get_db_prep_save`` returns a ``str`` unchanged."""
    target = found.target_field if found.is_relation else found
    return type(target) in (CharField, TextField)


@dataclass(frozen=True, slots=True)
class Insert:
    """``INSERT`` of one row into a model's table: every concrete column but the (auto-increment) key."""

    model: type[Model]
    sql: str
    #: Each column's field, and whether it holds text (a text value needs no preparing).
    fields: tuple[tuple[Field[Any, Any], bool], ...]

    @classmethod
    def build(cls, connection: BaseDatabaseWrapper, model: type[Model]) -> Insert:
        fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
        names = ", ".join(connection.ops.quote_name(column(f)) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        # Every name comes from model metadata and is quoted; the values are parameters.
        sql = f"INSERT INTO {table(connection, model)} ({names}) VALUES ({placeholders})"  # noqa: S608
        return cls(model, sql, tuple((f, _holds_text(f)) for f in fields))

    def execute(self, connection: BaseDatabaseWrapper, values: Mapping[str, Any]) -> None:
        """Insert ``values`` (by attribute name; a missing one takes the field's default).

        A model with ``pre_save`` or ``post_save`` receivers is saved through the
        ORM instead, so those receivers still run.
        """
        if pre_save.has_listeners(self.model) or post_save.has_listeners(self.model):
            self.model._default_manager.db_manager(connection.alias).create(**values)
            return
        params = []
        for f, text in self.fields:
            value = values[f.attname] if f.attname in values else f.get_default()
            params.append(value if text and type(value) is str else f.get_db_prep_save(value, connection))
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
