"""An uploaded picture checked by decoding it, never by its name: the one check behind every attachment that may be
a photo (视同申报, 通知公告)."""

from PIL import Image

from .errors import UserError

TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


def image_type(upload, name: str) -> str | None:
    """ "image/jpeg" or "image/png" for a picture that decodes, None for another picture format, a UserError in
    Chinese for a broken or disguised file. The upload is left at its start."""
    try:
        with Image.open(upload) as image:
            image.verify()
            kind = image.format
    except Exception:  # noqa: BLE001 - any decoder error means a broken or disguised file
        raise UserError(f"附件“{name}”不是有效的图片。") from None
    finally:
        upload.seek(0)
    return TYPES.get(kind)
