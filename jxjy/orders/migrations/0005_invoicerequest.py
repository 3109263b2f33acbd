"""InvoiceRequest moves here from the former invoices app, keeping its table (invoices_invoicerequest).

The state gains the model; the table is created only where it does not exist yet: a fresh database gets it here,
a database that ran the invoices app's migration keeps its rows untouched."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import jxjy.orders.models

TABLE = "invoices_invoicerequest"


def create_table_if_missing(apps, schema_editor):
    if TABLE not in schema_editor.connection.introspection.table_names():
        schema_editor.create_model(apps.get_model("orders", "InvoiceRequest"))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_unit_invitations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="InvoiceRequest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[("pending", "待开票"), ("issued", "已开票"), ("void", "已作废")],
                                default="pending",
                                max_length=16,
                                verbose_name="开票状态",
                            ),
                        ),
                        (
                            "requested_at",
                            models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="申请时间"),
                        ),
                        ("invoice_number", models.CharField(blank=True, max_length=32, verbose_name="发票号码")),
                        (
                            "pdf",
                            models.FileField(
                                blank=True, upload_to=jxjy.orders.models.invoice_pdf_path, verbose_name="电子发票"
                            ),
                        ),
                        ("tracking_number", models.CharField(blank=True, max_length=40, verbose_name="快递单号")),
                        ("issued_at", models.DateTimeField(blank=True, null=True, verbose_name="开票时间")),
                        ("void_reason", models.CharField(blank=True, max_length=200, verbose_name="作废原因")),
                        (
                            "issued_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "order",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="invoice_requests",
                                to="orders.order",
                                verbose_name="订单",
                            ),
                        ),
                        (
                            "requested_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "发票申请",
                        "verbose_name_plural": "发票申请",
                        "db_table": TABLE,
                        "ordering": ["-requested_at", "-id"],
                        "indexes": [
                            models.Index(fields=["status", "-requested_at"], name="invoices_in_status_e2d81e_idx")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("status", "void"), _negated=True),
                                fields=("order",),
                                name="one_live_invoice_per_order",
                            )
                        ],
                    },
                ),
            ],
        ),
        # After the state has the model, so the historical model is there to build the table from.
        migrations.RunPython(create_table_if_missing, migrations.RunPython.noop),
    ]
