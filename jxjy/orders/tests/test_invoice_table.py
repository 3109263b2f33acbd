"""InvoiceRequest moved from the former invoices app into orders with its table: a database migrated by the old app
keeps its table and rows (the migration creates the table only where it is missing), a fresh one gets it made."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from jxjy.orders.models import InvoiceRequest

pytestmark = pytest.mark.django_db(transaction=True)
migration = importlib.import_module("jxjy.orders.migrations.0005_invoicerequest")


def tables():
    return connection.introspection.table_names()


def test_the_table_keeps_the_old_apps_name():
    assert InvoiceRequest._meta.db_table == "invoices_invoicerequest" == migration.TABLE


def test_the_table_is_created_only_where_it_is_missing():
    with connection.schema_editor() as editor:
        migration.create_table_if_missing(apps, editor)  # already there (a database of the old app): nothing done
    assert "invoices_invoicerequest" in tables()
    with connection.schema_editor() as editor:
        editor.delete_model(InvoiceRequest)
    try:
        assert "invoices_invoicerequest" not in tables()
        with connection.schema_editor() as editor:
            migration.create_table_if_missing(apps, editor)  # a fresh database: made here
        assert "invoices_invoicerequest" in tables()
    finally:
        if "invoices_invoicerequest" not in tables():
            with connection.schema_editor() as editor:
                editor.create_model(InvoiceRequest)
