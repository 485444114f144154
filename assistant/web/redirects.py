"""The one safe-redirect rule for every `next` of the app: a path on this site, or the default."""
import unicodedata
from urllib.parse import urlsplit


def safe_next(target, default):
    """`target` if it is a path on this site, else `default`: browsers drop tabs and read '\\' as '/', so refuse both."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in target)):
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target
