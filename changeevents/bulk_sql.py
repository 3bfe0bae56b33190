"""Row-by-row updates in one executemany: Django's bulk_update builds a CASE WHEN per row and field, which
costs seconds of Python for thousands of rows; a parameterised UPDATE ... WHERE pk = %s does not."""

from collections.abc import Iterable, Sequence

from django.db import connections, router


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
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)
