"""A lean multi-row upsert for the three hot metric tables.

`bulk_create(update_conflicts=True)` prepares every value through its field and compiles a
new statement for each batch, which costs more than the database itself on pages of several
thousand counts. Here integer columns (counts, gains, foreign keys) go to the driver as they
are and only the few others (dates, datetimes, JSON) pass through their field's preparation.
On PostgreSQL the rows travel as one array per column (`INSERT … SELECT * FROM unnest(…)`), so
the statement text is the same for every page; elsewhere as a multi-row VALUES list. Both end
in `ON CONFLICT (…) DO UPDATE SET c = excluded.c`.
"""

from collections.abc import Sequence

from django.db import connection, models


def upsert(
    model: type[models.Model],
    rows: Sequence[dict],
    *,
    unique: Sequence[str],
    update: Sequence[str],
    add: Sequence[str] = (),
    returning: Sequence[str] = (),
    returning_inserted: bool = False,
) -> list[tuple]:
    """Insert `rows` (dicts of field names), updating `update` where `unique` already exists;
    with `returning`, the values of those fields of every row written.

    The caller deduplicates `unique` keys within `rows`: PostgreSQL refuses to touch one row
    twice in one statement. With `DO NOTHING` (no `update`) a row that existed returns nothing.
    `returning_inserted` (PostgreSQL only) adds whether each row was inserted, not updated.
    `add` columns are added to what the row holds (a NULL adds nothing; a sum, not a value).
    """
    if not rows:
        return []
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(model._meta.get_field(n).column) for n in unique)
    if update or add:
        sets = [
            f"{quote(c)} = excluded.{quote(c)}"
            for c in (model._meta.get_field(n).column for n in update)
        ]
        sets += [
            f"{quote(c)} = CASE WHEN excluded.{quote(c)} IS NULL THEN {table}.{quote(c)} "
            f"ELSE COALESCE({table}.{quote(c)}, 0) + excluded.{quote(c)} END"
            for c in (model._meta.get_field(n).column for n in add)
        ]
        action = "DO UPDATE SET " + ", ".join(sets)
    else:
        action = "DO NOTHING"
    if returning:
        action += " RETURNING " + ", ".join(
            quote(model._meta.get_field(n).column) for n in returning
        )
        if returning_inserted:
            # A row inserted by this statement has no deleting transaction id yet.
            action += ", (xmax = 0)"
    by_column = [
        _column_values(field, [row[name] for row in rows])
        for name, field in zip(names, fields, strict=True)
    ]
    written: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{_array_type(field)}[]" for field in fields)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) "  # noqa: S608
                f"ON CONFLICT ({conflict}) {action}",
                by_column,
            )
            return cursor.fetchall() if returning else written
        batch = max(1, connection.ops.bulk_batch_size(fields, rows))
        placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
        for start in range(0, len(rows), batch):
            chunk = list(zip(*(column[start : start + batch] for column in by_column), strict=True))
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} "  # noqa: S608
                f"ON CONFLICT ({conflict}) {action}",
                [value for row in chunk for value in row],
            )
            if returning:
                written += cursor.fetchall()
    return written


def _column_values(field: models.Field, values: list) -> list:
    if isinstance(field, models.IntegerField | models.ForeignKey):
        return values
    return [None if v is None else field.get_db_prep_save(v, connection) for v in values]


def _array_type(field: models.Field) -> str:
    """The element type of a column's array: its database type, with text for varchar(n)."""
    db_type = field.rel_db_type(connection) if field.is_relation else field.db_type(connection)
    return "text" if db_type.startswith("varchar") else db_type
