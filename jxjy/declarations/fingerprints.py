"""Fingerprints that let a city office see one set of materials used by several learners (issue 16 item 4).

Every attachment keeps the SHA-256 of its bytes; a PDF also the SHA-256 of its first page rendered by poppler's
`pdftoppm` (so a copy saved again with another title, author or date still matches). Rendering runs on the worker
(tasks.fingerprint_page) with a time limit; without the tool, or when the file does not render, the page
fingerprint stays empty and only the bytes are compared. A claim's `batch_key` is its organiser, dates and title,
normalised (full-width letters and spaces, any whitespace, case), so one group training's claims share it."""

import hashlib
import logging
import resource
import shutil
import subprocess
import unicodedata

logger = logging.getLogger(__name__)

RENDER_SECONDS = 20
RENDER_DPI = "50"  # small: the page's picture, not its fine print, is what is compared
RENDER_MEMORY = 512 * 1024 * 1024  # the renderer's address space: a hostile PDF cannot exhaust the worker's memory


def normalise(text: str) -> str:
    """全角 → 半角 (NFKC), all whitespace removed, case folded: "公共机构　节能 研修班" == "公共机构节能研修班"."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def batch_key(organiser: str, start_date, end_date, title: str) -> str:
    parts = [normalise(organiser), str(start_date), str(end_date), normalise(title)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def file_sha256(fileobj) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def first_page_sha256(data: bytes) -> str:
    """The SHA-256 of the PDF's first page rendered in grey at RENDER_DPI, or "" when it cannot be rendered."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        logger.warning("pdftoppm not installed: PDF first pages are not fingerprinted")
        return ""
    command = [tool, "-q", "-f", "1", "-l", "1", "-r", RENDER_DPI, "-gray", "-"]  # PDF on stdin, PGM on stdout
    try:
        result = subprocess.run(  # noqa: S603 - a fixed argv, no shell; the PDF goes in on stdin
            command, input=data, capture_output=True, timeout=RENDER_SECONDS, check=False, preexec_fn=_limit_memory
        )
    except subprocess.TimeoutExpired:
        logger.warning("pdftoppm timed out on an attachment")
        return ""
    if result.returncode != 0 or not result.stdout:
        return ""
    return hashlib.sha256(result.stdout).hexdigest()


def _limit_memory():  # in the child, before pdftoppm starts
    resource.setrlimit(resource.RLIMIT_AS, (RENDER_MEMORY, RENDER_MEMORY))
