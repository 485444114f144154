"""The one text canonicaliser (assistant/text.py): properties over any Unicode text, and real names kept letter for letter."""
import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

from assistant.definitions import Question
from assistant.questions import TYPES
from assistant.text import canonical

ZWNJ, ZWJ = "\u200c", "\u200d"
HIDDEN = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff")
# Characters the canonicaliser treats specially, mixed into arbitrary text so that every run meets them.
SPECIAL = sorted(HIDDEN) + [ZWNJ, ZWJ, "\x00", "\x1b", "\x7f", "\x85", "\x9f", "\t", "\n", "\r", "\x0b",
                            "\x0c", "\u2028", "\u2029", "\u0301", "\u0308", "\u0653", "e", "a", "\u0627"]
TEXT = st.text(st.one_of(st.characters(), st.sampled_from(SPECIAL)))


def controls(text):
    """The C0 and C1 control characters and DEL in a text."""
    return {ch for ch in text if unicodedata.category(ch) == "Cc"}


@settings(max_examples=500, database=None)
@given(text=TEXT, lines=st.booleans(), plain=st.booleans())
def test_canonical_properties_over_any_text(text, lines, plain):
    out = canonical(text, lines=lines, plain=plain)
    assert unicodedata.is_normalized("NFC", out)
    assert controls(out) <= ({"\t", "\n"} if lines else set())
    if plain:
        assert not HIDDEN & set(out)
    assert canonical(out, lines=lines, plain=plain) == out
    assert (out.count(ZWNJ), out.count(ZWJ)) == (text.count(ZWNJ), text.count(ZWJ))


def name(raw):
    """A typed name as a Name question of a service stores it."""
    return TYPES["name"].parse(raw, Question(id="q", type="name", label="Name?"))


@pytest.mark.parametrize("raw,stored", [
    ("محمد عبد الله", "محمد عبد الله"),                        # Arabic
    ("مهرآسا", "مهرآسا"),                                      # Persian
    ("مهرا\u0653سا", "مهرآسا"),                                # ... with alef and madda typed apart: NFC
    ("نرگس\u200cها", "نرگس\u200cها"),                          # Persian zero width non-joiner kept
    ("ملاله یوسفزۍ", "ملاله یوسفزۍ"),                          # Pashto
    ("ځلمی ښکلی", "ځلمی ښکلی"),
    ("Олександр Ґудзь", "Олександр Ґудзь"),                    # Ukrainian
    ("Çağrı Öztürk", "Çağrı Öztürk"),                          # Turkish
    ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),          # Vietnamese
    (unicodedata.normalize("NFD", "Nguyễn Thị Minh Khai"), "Nguyễn Thị Minh Khai"),
    ("Damaskus\u0000", "Damaskus"),                            # a NUL is dropped
    ("invoice\u202egpj", "invoicegpj"),                        # a right-to-left override is dropped
    ("\ufeffAnna\u200b Maria", "Anna Maria"),
], ids=lambda v: ascii(v)[:30])
def test_real_names_are_kept_letter_for_letter(raw, stored):
    assert name(raw) == stored
    assert unicodedata.is_normalized("NFC", name(raw))


@pytest.mark.parametrize("qtype,raw,stored", [
    ("text", "Damaskus\u0000\u202e", "Damaskus"),
    ("longtext", "Erste Zeile\r\n\u202bسطر\u202c\x00", "Erste Zeile\n\u202bسطر\u202c"),  # direction marks stay in a message
    ("passport", "c01\u200bx00t47\x00", "C01X00T47"),
    ("address", {"street": "Hauptstra\u00dfe\u202e 5", "postcode": "10115\x00", "city": "Berlin", "country": "de"},
     {"street": "Hauptstraße 5", "postcode": "10115", "city": "Berlin", "country": "DE"}),
])
def test_every_type_is_canonicalised_before_it_is_read(qtype, raw, stored):
    assert TYPES[qtype].parse(raw, Question(id="q", type=qtype, label="Q?")) == stored
