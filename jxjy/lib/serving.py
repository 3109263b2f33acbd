"""Sending a stored upload back (视同申报 attachments, avatars): never as a page the browser could run.

A file a user uploaded goes out as a download (`Content-Disposition: attachment`) whose name carries the extension of
its checked type, not of whatever name it was uploaded under; only an image the page itself shows (an avatar in
<img>) goes out inline. Either way with `X-Content-Type-Options: nosniff` and a sandboxing CSP, so even a file that
is also valid HTML (a polyglot) can run nothing on the platform's origin."""

from pathlib import PurePath

from django.http import FileResponse

SANDBOX = "default-src 'none'; img-src 'self'; object-src 'none'; sandbox"
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def _harden(response, cache):
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = cache
    return response


def download(fileobj, *, content_type: str, filename: str, cache="private, no-store") -> FileResponse:
    """The file as a download named `filename` with the extension of `content_type` (the type its bytes were
    checked to be)."""
    stem = PurePath(filename.replace("\\", "/")).stem.strip() or "附件"
    name = stem[:100] + EXTENSIONS.get(content_type, "")
    response = FileResponse(fileobj, content_type=content_type, as_attachment=True, filename=name)
    return _harden(response, cache)


def inline_image(fileobj, *, content_type: str, cache="private, max-age=300") -> FileResponse:
    """An image the page shows in an <img>: inline, but still never sniffed or run as anything else."""
    if not content_type.startswith("image/") or content_type == "image/svg+xml":
        raise ValueError(f"{content_type} is not an image that may be shown inline")
    response = FileResponse(fileobj, content_type=content_type)
    response["Content-Disposition"] = "inline"
    return _harden(response, cache)
