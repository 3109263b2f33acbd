"""Fault test: a real Celery worker is killed (SIGKILL, the pool process and its parent) in the middle of a transcode.

Its ffmpeg must die with it (no orphan, checked in /proc by PID and process group), and the job must not stay 转码中
forever: a new worker gets the task again once the broker's visibility timeout has passed (short here) and finishes
it (完成), or the sweeper ends it (失败 with the reason). The staged upload and the working directory are gone either
way. Runs only on PostgreSQL with Redis as the broker (the worker is a separate process on the same test database);
prints the figures."""

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files import File
from django.db import connection

from jxjy.catalog import video, videojobs
from jxjy.catalog.models import JobStatus, VideoJob

ROOT = Path(__file__).resolve().parents[3]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
VISIBILITY = 4  # seconds before Redis hands an unacknowledged task out again (hours in production)
SECONDS = 10  # of 720p test picture: a few seconds of transcoding on this machine

pytestmark = [
    pytest.mark.skipif(
        not (DATABASE_URL.startswith("postgres") and REDIS_URL), reason="needs PostgreSQL (DATABASE_URL) and Redis"
    ),
    pytest.mark.django_db(transaction=True),
]


def _stat(pid):
    """(state, ppid, pgrp) of a process from /proc, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields[0], int(fields[1]), int(fields[2])


def _alive(pid):
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie is dead, only not yet reaped


def _processes():
    """pid → argv of every live process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _alive(int(entry.name)):
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            found[int(entry.name)] = [arg.decode(errors="replace") for arg in argv if arg]
    return found


def _job_ffmpegs(job_id):
    """Live ffmpeg processes working in the job's directory."""
    marker = f"{videojobs.WORKDIR_PREFIX}{job_id}"
    return [pid for pid, argv in _processes().items() if argv and "ffmpeg" in Path(argv[0]).name
            and any(marker in arg for arg in argv)]  # fmt: skip


def _in_group(pgid):
    return [pid for pid in _processes() if (_stat(pid) or (0, 0, 0))[2] == pgid]


def _wait(predicate, seconds, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(step)
    return predicate()


@pytest.fixture
def worker_env(tmp_path):
    """The environment of the worker processes: this test's database, Redis, media and work directories."""
    name = connection.settings_dict["NAME"]
    prefix = f"h3kill{secrets.token_hex(3)}"
    env = {
        **os.environ,
        "DATABASE_URL": urllib.parse.urlsplit(DATABASE_URL)._replace(path=f"/{name}").geturl(),
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
        "HEARTBEAT_STATE_PREFIX": f"{prefix}:hb:",
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "VIDEO_WORK_DIR": str(tmp_path / "work"),
        "VIDEO_JOB_HEARTBEAT_SECONDS": "1",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "DJANGO_SETTINGS_MODULE": "jxjy.settings",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    (tmp_path / "work").mkdir()
    queue = f"{prefix}-video"  # this test's own queue: no other worker takes its task, it takes no other
    yield env, queue
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.delete(queue, f"_kombu.binding.{queue}")
    client.close()


def _start_worker(env, queue, log):
    celery = Path(sys.executable).parent / "celery"
    command = [str(celery), "-A", "jxjy", "worker", "--pool=prefork", "--concurrency=1", "-Q", queue,
               "-n", f"{queue}-{secrets.token_hex(2)}@%h", "--without-gossip", "--without-mingle",
               "--without-heartbeat", "--loglevel=INFO"]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True)


def _pool_children(parent):
    return [pid for pid in _processes() if (_stat(pid) or (0, 0, 0))[1] == parent]


def test_a_worker_killed_mid_transcode_leaves_no_ffmpeg_and_no_job_stuck(content_editor, chapter, worker_env,
                                                                         tmp_path):  # fmt: skip
    from jxjy.catalog.tasks import run_video_job
    from jxjy.celery import app

    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    env, queue = worker_env
    source = tmp_path / "lesson.mp4"
    subprocess.run([video.ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=1280x720:rate=25", "-t", str(SECONDS), "-pix_fmt", "yuv420p", "-c:v", "libx264",
                    "-preset", "ultrafast", "-crf", "35", str(source)], check=True, timeout=60)  # fmt: skip
    job = VideoJob(chapter=chapter, title="断电测试课件", order=1, size=source.stat().st_size,
                   original_name="lesson.mp4", created_by=content_editor)  # fmt: skip
    with open(source, "rb") as handle:
        job.source.save("upload", File(handle), save=False)
    job.save()
    staged = Path(job.source.path)
    work = tmp_path / "work" / f"{videojobs.WORKDIR_PREFIX}{job.pk}"  # in the worker's VIDEO_WORK_DIR

    processes = []
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed in finally
    try:
        first = _start_worker(env, queue, log)
        processes.append(first)
        app.conf.task_always_eager = False
        try:
            run_video_job.apply_async((job.pk,), queue=queue)  # through Redis
        finally:
            app.conf.task_always_eager = True

        def transcoding():
            job.refresh_from_db()
            return job.status == JobStatus.RUNNING and job.progress > 0 and _job_ffmpegs(job.pk)

        ffmpegs = _wait(transcoding, 40)
        assert ffmpegs, f"the job never got to 转码中 with progress: {job.status} {job.progress}%"
        delivered = job.heartbeat_at  # close to when the worker took the task
        ffmpeg = ffmpegs[0]
        group = _stat(ffmpeg)[2]
        assert group == ffmpeg, "ffmpeg leads its own process group"
        children = _pool_children(first.pid)
        assert children, "no pool process"
        progress_at_kill = job.progress

        killed_at = time.monotonic()
        for pid in (first.pid, *children):  # the parent first: nobody is left to hand the task back
            os.kill(pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert _wait(lambda: not any(_alive(pid) for pid in children), 5), "the pool process survived SIGKILL"

        # ffmpeg dies with its worker: no process of the job, none in ffmpeg's process group.
        orphans = _wait(lambda: not _job_ffmpegs(job.pk) and not _in_group(group), 5) or (
            _job_ffmpegs(job.pk) + _in_group(group)
        )
        ffmpeg_gone_after = time.monotonic() - killed_at
        assert orphans is True, f"ffmpeg outlived its worker: {orphans}"
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING  # nobody was left to say otherwise

        # A new worker: the broker hands the task out again once the visibility timeout has passed since delivery.
        time.sleep(max(0.0, VISIBILITY + 1 - (time.time() - delivered.timestamp())))
        second = _start_worker(env, queue, log)
        processes.append(second)

        def resolved():
            job.refresh_from_db()
            return job.finished

        _wait(resolved, 45, step=0.25)
        seconds_to_resolve = time.monotonic() - killed_at
        left = sorted(str(p.relative_to(tmp_path)) for p in (staged, work) if p.exists())
        print(f"\nworker killed at {progress_at_kill}% (pool pid {children}, ffmpeg pid {ffmpeg}): ffmpeg gone "
              f"{ffmpeg_gone_after:.2f} s after the kill; job {job.get_status_display()} {job.message!r} "
              f"{seconds_to_resolve:.1f} s after the kill (visibility timeout {VISIBILITY} s), attempts "
              f"{job.attempts}; files left: {len(left)} {left}")  # fmt: skip
        assert job.status in (JobStatus.DONE, JobStatus.FAILED), f"still {job.get_status_display()} {job.progress}%"
        if job.status == JobStatus.DONE:
            assert job.attempts == 2 and job.courseware is not None and job.courseware.duration > SECONDS - 1
        else:
            assert job.message == videojobs.INTERRUPTED
        assert left == []
        assert not _job_ffmpegs(job.pk)
    finally:
        for process in processes:
            if process.poll() is None:
                for pid in _pool_children(process.pid):
                    os.kill(pid, signal.SIGKILL)
                process.kill()
                process.wait(timeout=10)
        log.close()
        if (tmp_path / "worker.log").exists() and os.environ.get("SHOW_WORKER_LOG"):
            print((tmp_path / "worker.log").read_text(errors="replace")[-5000:])
