"""File names that every file system takes: at most 255 bytes of UTF-8, nothing Windows or macOS refuses."""
import re

from ..text import canonical

MAX_BYTES = 255
FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)  # Windows device names


def _cut(text, limit):
    """The longest start of `text` whose UTF-8 fits in `limit` bytes (never half a character)."""
    return text.encode()[:limit].decode(errors="ignore")


def portable(name, fallback="document"):
    """A safe file name for a drop folder or a download; the original name is kept in the packet's metadata."""
    name = FORBIDDEN.sub("_", canonical(name, plain=True)).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot or not 1 <= len(extension) <= 8 or not extension.isalnum():
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    stem = _cut(stem.strip(" ."), MAX_BYTES - len(suffix.encode())).rstrip(" .") or fallback
    if RESERVED.match(stem):
        stem = f"_{stem}"
    return stem + suffix
