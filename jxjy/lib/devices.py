"""Which device a request comes from: a random id the site keeps in a signed cookie (one per browser), and the device
in words for people ("安卓手机 · 微信"). The 面授班 sign-in uses the id so that one phone signs one learner; playback
records it (with the device in words) for 学时明细 and the 学习异常 desk.

The id is no fingerprint of the hardware: clearing the browser's cookies makes a new one. It is enough to show an
office that two accounts studied in the same browser, which is what matters (show, don't judge)."""

import re
import secrets

COOKIE = "jxjy_device"
SALT = "jxjy.device"
MAX_AGE = 2 * 365 * 24 * 3600


def new_id() -> str:
    return secrets.token_urlsafe(16)


def device_id(request) -> tuple[str, bool]:
    """The browser's id from its signed cookie, or a new one (True: `remember` it on the response)."""
    found = request.get_signed_cookie(COOKIE, default=None, salt=SALT)
    if found and len(found) <= 32:
        return found, False
    return new_id(), True


def remember(request, response, device: str) -> None:
    """Set the browser's id cookie (signed, HttpOnly, two years)."""
    response.set_signed_cookie(
        COOKIE, device, salt=SALT, max_age=MAX_AGE, httponly=True, samesite="Lax", secure=request.is_secure()
    )


_APPS = (("MicroMessenger", "微信"), ("DingTalk", "钉钉"), ("AlipayClient", "支付宝"))
_BROWSERS = (
    ("HuaweiBrowser", "华为浏览器"),
    ("MiuiBrowser", "小米浏览器"),
    ("UCBrowser", "UC浏览器"),
    ("QQBrowser", "QQ浏览器"),
    ("Edg/", "Edge浏览器"),
    ("Firefox/", "火狐浏览器"),
    ("Chrome/", "Chrome浏览器"),
    ("Safari/", "Safari浏览器"),
)


def describe(user_agent: str) -> str:
    """The device in words: 安卓手机 / 苹果手机 / 平板电脑 / 电脑, and the app or browser it was used in."""
    ua = user_agent or ""
    if re.search(r"iPad|Tablet|Android(?!.*Mobile)", ua):
        kind = "平板电脑"
    elif "iPhone" in ua:
        kind = "苹果手机"
    elif "Android" in ua:
        kind = "安卓手机"
    elif ua:
        kind = "电脑"
    else:
        return "未知设备"
    app = next((name for marker, name in _APPS + _BROWSERS if marker in ua), "")
    return f"{kind} · {app}" if app else kind
