"""The one text canonicaliser: every answer, name, address, message and file name passes here before it is stored.

Unicode NFC; control characters (C0, C1, DEL) removed, line breaks and tabs
kept only in text of several lines (elsewhere they become a space); in names,
addresses and file names also the invisible characters that reorder or hide
text (bidirectional embeddings, overrides and isolates, zero width space,
byte order mark). The zero width non-joiner and joiner that Persian, Pashto
and other scripts need are letters of those words and always stay.
"""
import unicodedata

BREAKS = "\r\n\x0b\x0c\x85\u2028\u2029"  # what ends a line, in ASCII and in Unicode
INVISIBLE = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff"))


def canonical(text, *, lines=False, plain=False):
    """Text as it is stored: `lines` keeps line breaks and tabs, `plain` (names, addresses, file names) drops invisibles."""
    if lines:
        text = text.replace("\r\n", "\n")
        text = "".join("\n" if ch in BREAKS else ch for ch in text)
    else:
        text = "".join(" " if ch in BREAKS or ch == "\t" else ch for ch in text)
    keep = "\t\n" if lines else ""
    text = "".join(ch for ch in text if ch in keep or unicodedata.category(ch) != "Cc")
    if plain:
        text = text.translate(INVISIBLE)
    return unicodedata.normalize("NFC", text)
