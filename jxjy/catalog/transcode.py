"""Turn any video ffmpeg can read into the platform's format: H.264 (Main, yuv420p) + AAC in an MP4 whose moov atom
comes first (``+faststart``), so a browser starts playing before the whole file has arrived and can seek with HTTP
Range requests. Pure functions around the ffmpeg that imageio-ffmpeg ships; no Django models."""

from __future__ import annotations

import ctypes
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from jxjy.catalog import video

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class TranscodeError(Exception):
    """ffmpeg could not make the MP4; `detail` holds the end of its log (for the server log, not for users)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def _codec_args(exe: str) -> list[str]:
    if video._has_encoder(exe, "libx264"):
        return ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "main"]
    return ["-c:v", "libopenh264", "-b:v", "1200k"]  # a distribution ffmpeg without x264


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that makes the child receive SIGKILL when its parent dies (Linux's PR_SET_PDEATHSIG), so a worker
    killed with SIGKILL (the OOM killer, `kill -9`, a host losing power to its cgroup) cannot leave ffmpeg running
    on as an orphan. None elsewhere: the watchdog and the process group are then the only guards.

    The signal follows the *thread* that started the child: call to_mp4 from a thread that lives as long as the
    task (Celery's prefork and solo pools run tasks on the process's main thread)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork: the child only calls it
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def setup():
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect: nobody would ever kill us
            os.kill(os.getpid(), signal.SIGKILL)

    return setup


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL ffmpeg's whole process group (it leads its own), else ffmpeg itself."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        process.kill()


def to_mp4(
    source: str | os.PathLike,
    target: str | os.PathLike,
    *,
    duration: float,
    on_progress: Callable[[int], None] | None = None,
    timeout: float | None = None,
    progress_interval: float | None = None,
) -> None:
    """Transcode `source` into `target` (at most 1280 px wide), calling `on_progress(percent)` as ffmpeg advances.

    `duration` is the source's probed length, used to turn ffmpeg's position into a percentage. `on_progress` is
    called every 5 % and, with `progress_interval`, also at least that often (seconds) while ffmpeg runs, even when
    it reports nothing: the caller's heartbeat. An exception from `on_progress` kills ffmpeg and is raised. The
    source is opened as a plain media file only (video.SAFE_INPUT: no playlist, concat list or network). ffmpeg runs
    in its own process group, dies with the thread that started it (Linux), and is killed after `timeout` seconds.
    Raises TranscodeError when ffmpeg fails or is killed; `target` then does not exist."""
    exe = video.ffmpeg_exe()
    target = Path(target)
    command = [exe, "-y", "-hide_banner", "-nostdin", "-loglevel", "error", *video.SAFE_INPUT, "-i", str(source)]
    command += ["-map", "0:v:0", "-map", "0:a:0?", "-sn", "-dn", "-map_metadata", "-1"]
    command += ["-vf", "scale=w='trunc(min(1280,iw)/2)*2':h=-2", "-pix_fmt", "yuv420p"]
    command += _codec_args(exe)
    command += ["-c:a", "aac", "-b:a", "96k", "-ac", "2", "-movflags", "+faststart"]
    command += ["-progress", "pipe:1", "-nostats", "-f", "mp4", str(target)]
    with tempfile.TemporaryFile() as log:  # ffmpeg's messages: to a file, so a chatty ffmpeg can never block
        # Its own process group: a signal meant for the worker's group (Ctrl-C, a service stop) does not reach ffmpeg
        # half-way through a file, and the whole group can be killed at once.
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log, process_group=0, preexec_fn=_die_with_parent()
        )
        # A hung ffmpeg writes nothing: the watchdog kills it, which ends the loop below.
        killed = threading.Event()

        def kill():
            killed.set()
            _kill_group(process)

        watchdog = threading.Timer(timeout, kill) if timeout else None
        if watchdog is not None:
            watchdog.daemon = True
            watchdog.start()
        try:
            _follow(process, duration, on_progress, progress_interval)
            process.wait()
        except BaseException:
            _kill_group(process)
            process.wait()
            target.unlink(missing_ok=True)
            raise
        finally:
            if watchdog is not None:
                watchdog.cancel()
            process.stdout.close()
        if killed.is_set() and process.returncode != 0:
            target.unlink(missing_ok=True)
            raise TranscodeError(f"ffmpeg was killed after {timeout} s")
        if process.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            target.unlink(missing_ok=True)
            log.seek(0)
            raise TranscodeError(log.read()[-2000:].decode(errors="replace").strip())


def _follow(process, duration, on_progress, interval):
    """Read ffmpeg's `-progress` lines until it closes its output, reporting the percentage (see to_mp4)."""
    pending = b""
    percent, reported, last_call = 0, -1, time.monotonic()
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            if selector.select(timeout=interval):
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    return
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    key, _, value = line.strip().partition(b"=")
                    if key == b"out_time_us" and value.isdigit() and duration > 0:
                        percent = max(percent, min(99, int(int(value) / 1_000_000 / duration * 100)))
            if on_progress is None:
                continue
            now = time.monotonic()
            if percent >= reported + 5 or (interval and now - last_call >= interval):
                reported, last_call = percent, now
                on_progress(percent)


def moov_before_mdat(path: str | os.PathLike) -> bool:
    """True when the MP4's top-level ``moov`` box precedes its ``mdat`` box (the file is faststart)."""
    order = []
    with open(path, "rb") as handle:
        size_total = os.fstat(handle.fileno()).st_size
        offset = 0
        while offset + 8 <= size_total and len(order) < 64:
            handle.seek(offset)
            header = handle.read(16)
            size = int.from_bytes(header[:4], "big")
            kind = header[4:8].decode("latin-1")
            if size == 1:
                size = int.from_bytes(header[8:16], "big")
            elif size == 0:
                size = size_total - offset
            if size < 8:
                break
            order.append(kind)
            offset += size
    return "moov" in order and "mdat" in order and order.index("moov") < order.index("mdat")
