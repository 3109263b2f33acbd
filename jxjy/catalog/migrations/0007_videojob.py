# VideoJob moved here from the former `content` app; its table keeps the name content_videojob. A database that ran
# the content app's migrations already has the table (and its index): only the migration state changes there; a new
# database gets the table here.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.migrations.state import ProjectState

import jxjy.catalog.models

TABLE = "content_videojob"

CREATE_VIDEO_JOB = migrations.CreateModel(
    name="VideoJob",
    fields=[
        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
        ("title", models.CharField(max_length=100, verbose_name="课件名称")),
        ("order", models.PositiveSmallIntegerField(default=1, verbose_name="顺序")),
        (
            "source",
            models.FileField(blank=True, upload_to=jxjy.catalog.models.staged_upload_to, verbose_name="上传的原始文件"),
        ),
        ("original_name", models.CharField(blank=True, max_length=200, verbose_name="原始文件名")),
        ("size", models.PositiveBigIntegerField(default=0, verbose_name="文件大小")),
        (
            "status",
            models.CharField(
                choices=[("queued", "排队中"), ("running", "转码中"), ("done", "已完成"), ("failed", "失败")],
                default="queued",
                max_length=16,
                verbose_name="状态",
            ),
        ),
        ("progress", models.PositiveSmallIntegerField(default=0, verbose_name="进度（%）")),
        ("message", models.CharField(blank=True, max_length=300, verbose_name="说明")),
        ("duration", models.FloatField(default=0, verbose_name="时长（秒）")),
        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="上传时间")),
        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
        ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="处理次数")),
        ("heartbeat_at", models.DateTimeField(blank=True, null=True, verbose_name="最近处理时间")),
        (
            "chapter",
            models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="catalog.chapter",
                verbose_name="章节",
            ),
        ),
        (
            "courseware",
            models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="catalog.courseware",
                verbose_name="课件",
            ),
        ),
        (
            "created_by",
            models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="上传人",
            ),
        ),
    ],
    options={
        "verbose_name": "视频转码任务",
        "verbose_name_plural": "视频转码任务",
        "db_table": TABLE,
        "ordering": ["-created_at", "-id"],
        "indexes": [models.Index(fields=["status", "heartbeat_at"], name="content_job_status_beat")],
    },
)


def create_table_if_missing(apps, schema_editor):
    """The table as the content app left it, unless it is there already. `apps` is the state before this migration
    (RunPython inside SeparateDatabaseAndState), so the model is rendered from that state plus CREATE_VIDEO_JOB."""
    if TABLE in schema_editor.connection.introspection.table_names():
        return
    state = ProjectState.from_apps(apps)
    CREATE_VIDEO_JOB.state_forwards("catalog", state)
    schema_editor.create_model(state.apps.get_model("catalog", "VideoJob"))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_question_exam_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[CREATE_VIDEO_JOB],
            database_operations=[migrations.RunPython(create_table_if_missing, migrations.RunPython.noop)],
        ),
    ]
