"""Row-by-row updates in one executemany: Django's bulk_update builds a CASE WHEN per row and field, which
costs seconds of Python for thousands of rows; a parameterised UPDATE ... WHERE pk = %s does not. Each call is
one transaction (all rows or none)."""

from collections.abc import Callable, Iterable, Sequence

from django.db import DataError, IntegrityError, connections, router, transaction


def update_rows(model, objects: Iterable, field_names: Sequence[str]) -> int:
    """Write `field_names` of every object to its row; returns the number of objects written."""
    objects = list(objects)
    if not objects:
        return 0
    using = router.db_for_write(model)
    connection = connections[using]
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    rows = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objects]
    # one transaction: in autocommit every row would commit (and fsync) on its own
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def insert_rows(model, objects: Iterable) -> int:
    """INSERT every object in one executemany (no pks are read back: select them by a unique key after).

    Fills field defaults and auto_now(_add) values as save() would; fires no signals, like bulk_create.
    """
    objects = list(objects)
    if not objects:
        return 0
    using = router.db_for_write(model)
    connection = connections[using]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or getattr(objects[0], f.attname) is not None]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    rows = [[f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields] for obj in objects]
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def write_each_alone(
    records: list, write: Callable[[list], object], refused: Callable[[object, Exception], None]
) -> list:
    """`write(records)` in one statement; when the database refuses one (a unique or foreign key, a value too long),
    write them one by one under savepoints so only the refused fail, each handed to `refused(record, exc)`.
    Returns the records written."""
    try:
        with transaction.atomic():
            write(records)
        return records
    except (IntegrityError, DataError):
        pass
    written = []
    for record in records:
        try:
            with transaction.atomic():
                write([record])
        except (IntegrityError, DataError) as exc:
            refused(record, exc)
        else:
            written.append(record)
    return written
