"""What the large-data benchmarks share (reports_bench.py, review_bench.py): a throw-away PostgreSQL database of
their own, and COPY into a model's table — hundreds of thousands of rows a second, where the ORM does thousands."""

import json
import os

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")


def _admin(statement: str, db_name: str):
    """Run one statement naming the database on the server's maintenance database; returns the first row."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        cursor = conn.execute(sql.SQL(statement).format(sql.Identifier(db_name), sql.Literal(db_name)))
        return cursor.fetchone() if cursor.description else None


def create_database(db_name: str) -> None:
    _admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", db_name)
    _admin("CREATE DATABASE {}", db_name)


def drop_database(db_name: str) -> None:
    _admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", db_name)


def database_exists(db_name: str) -> bool:
    return _admin("SELECT count(*) FROM pg_database WHERE datname = {1}", db_name)[0] == 1


class Copier:
    """COPY rows into a model's table: the given columns per row, every other column a constant default."""

    def __init__(self, model, columns):
        from django.db import connection
        from django.db.models import JSONField
        from django.utils import timezone

        self.model = model
        self.columns = list(columns)
        now = timezone.now()
        self.constants = {}
        for field in model._meta.concrete_fields:
            if field.attname in self.columns or field.primary_key and "id" in self.columns:
                continue
            if field.primary_key:
                continue
            value = field.get_default()
            if value is None and not field.null:
                value = now if field.get_internal_type() == "DateTimeField" else value
            prepared = json.dumps(value) if isinstance(field, JSONField) else field.get_db_prep_save(value, connection)
            self.constants[field.column] = prepared
        names = [model._meta.get_field(c).column if c != "id" else "id" for c in self.columns]
        self.all_columns = names + list(self.constants)
        self.tail = tuple(self.constants.values())

    def load(self, rows, *, serial: bool = True) -> int:
        """COPY the rows; then move the id sequence past them (`serial`: the table has an integer id sequence)."""
        from django.db import connection

        table = self.model._meta.db_table
        cols = ", ".join(f'"{c}"' for c in self.all_columns)
        count = 0
        with connection.cursor() as cursor, cursor.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(tuple(row) + self.tail)
                count += 1
        if serial:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE(MAX(id), 1)) FROM \"{table}\""  # noqa: S608
                )
        return count
