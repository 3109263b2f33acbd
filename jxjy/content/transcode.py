"""Turn any video ffmpeg can read into the platform's format: H.264 (Main, yuv420p) + AAC in an MP4 whose moov atom
comes first (``+faststart``), so a browser starts playing before the whole file has arrived and can seek with HTTP
Range requests. Pure functions around the ffmpeg that imageio-ffmpeg ships; no Django models."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from jxjy.catalog import video


class TranscodeError(Exception):
    """ffmpeg could not make the MP4; `detail` holds the end of its log (for the server log, not for users)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def _codec_args(exe: str) -> list[str]:
    if video._has_encoder(exe, "libx264"):
        return ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "main"]
    return ["-c:v", "libopenh264", "-b:v", "1200k"]  # a distribution ffmpeg without x264


def to_mp4(
    source: str | os.PathLike,
    target: str | os.PathLike,
    *,
    duration: float,
    on_progress: Callable[[int], None] | None = None,
    timeout: float | None = None,
) -> None:
    """Transcode `source` into `target` (at most 1280 px wide), calling `on_progress(percent)` as ffmpeg advances.

    `duration` is the source's probed length, used to turn ffmpeg's position into a percentage. The source is
    opened as a plain media file only (video.SAFE_INPUT: no playlist, concat list or network), and ffmpeg is
    killed after `timeout` seconds. Raises TranscodeError when ffmpeg fails or is killed; `target` then does not
    exist."""
    exe = video.ffmpeg_exe()
    target = Path(target)
    command = [exe, "-y", "-hide_banner", "-nostdin", "-loglevel", "error", *video.SAFE_INPUT, "-i", str(source)]
    command += ["-map", "0:v:0", "-map", "0:a:0?", "-sn", "-dn", "-map_metadata", "-1"]
    command += ["-vf", "scale=w='trunc(min(1280,iw)/2)*2':h=-2", "-pix_fmt", "yuv420p"]
    command += _codec_args(exe)
    command += ["-c:a", "aac", "-b:a", "96k", "-ac", "2", "-movflags", "+faststart"]
    command += ["-progress", "pipe:1", "-nostats", "-f", "mp4", str(target)]
    with tempfile.TemporaryFile() as log:  # ffmpeg's messages: to a file, so a chatty ffmpeg can never block
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        # A hung ffmpeg writes nothing: the loop below would wait forever. The watchdog kills it, which ends the loop.
        killed = threading.Event()

        def kill():
            killed.set()
            process.kill()

        watchdog = threading.Timer(timeout, kill) if timeout else None
        if watchdog is not None:
            watchdog.daemon = True
            watchdog.start()
        try:
            last = -1
            for line in process.stdout:
                key, _, value = line.strip().partition("=")
                if key == "out_time_us" and value.isdigit() and duration > 0:
                    percent = min(99, int(int(value) / 1_000_000 / duration * 100))
                    if on_progress is not None and percent >= last + 5:
                        last = percent
                        on_progress(percent)
            process.wait()
        except BaseException:
            process.kill()
            process.wait()
            target.unlink(missing_ok=True)
            raise
        finally:
            if watchdog is not None:
                watchdog.cancel()
        if killed.is_set() and process.returncode != 0:
            target.unlink(missing_ok=True)
            raise TranscodeError(f"ffmpeg was killed after {timeout} s")
        if process.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            target.unlink(missing_ok=True)
            log.seek(0)
            raise TranscodeError(log.read()[-2000:].decode(errors="replace").strip())


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
