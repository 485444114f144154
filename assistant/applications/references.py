"""Reference numbers: short, unambiguous on the phone and aloud, with a check character.

Eight random characters from an alphabet without 0/O, 1/I/L, then one check
character, written ``K7M4-Q9TX-C``. The alphabet has 31 characters, a prime,
and the check is a weighted sum modulo 31 with weights 1..8, so any single
wrong character and any swap of two neighbours changes the check.
"""
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8


def _check(body):
    """The check character of the eight body characters."""
    return ALPHABET[sum((i + 1) * ALPHABET.index(ch) for i, ch in enumerate(body)) % len(ALPHABET)]


def new():
    """A fresh random reference number."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return format_reference(body + _check(body))


def format_reference(compact):
    """Group nine characters as XXXX-XXXX-X for reading aloud."""
    return f"{compact[:4]}-{compact[4:8]}-{compact[8:]}"


def normalize(text):
    """The reference in its written form if it is valid (any case, spaces or hyphens), else None."""
    compact = re.sub(r"[\s-]", "", text or "").upper()
    if len(compact) != LENGTH + 1 or any(ch not in ALPHABET for ch in compact):
        return None
    if _check(compact[:LENGTH]) != compact[LENGTH]:
        return None
    return format_reference(compact)
