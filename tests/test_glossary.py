"""The office's terms, as data (locales/glossary.yaml): every catalog entry that names a term uses the glossary's
rendering (or keeps the German term), and no catalog uses a rendering the review banned."""
import pytest

from assistant import translation_status
from assistant.i18n import LANGUAGES

TRANSLATED = [lang for lang in LANGUAGES if lang not in ("de", "en")]
# The concepts the review named; each with its German official term.
REQUIRED = {"residence_permit", "electronic_residence_permit", "settlement_permit", "eu_long_term", "blue_card",
            "fiktionsbescheinigung", "declaration_of_commitment", "toleration", "permission_to_stay",
            "employment_permission", "residence_obligation", "decision", "immigration_office", "statutory_insurance",
            "private_insurance", "power_of_attorney", "cash_reference", "diverse", "given_names",
            "registration_certificate", "jobcenter", "statutory_pension"}


def test_the_glossary_covers_every_term_in_every_language(app):
    with app.app_context():
        terms = {t["id"]: t for t in translation_status.glossary()}
    assert REQUIRED <= set(terms)
    for term in terms.values():
        assert term["german"] and term["english"] and term.get("note"), term["id"]
        assert set(term["languages"]) >= set(TRANSLATED), term["id"]
        for lang, rule in term["languages"].items():
            assert rule["use"] and isinstance(rule["use"], list), (term["id"], lang)
            assert rule.get("keep_german") in ("titles", "always", "never"), (term["id"], lang)


@pytest.mark.parametrize("lang", ["de", *TRANSLATED])
def test_every_entry_that_names_a_term_uses_its_rendering_and_none_a_banned_one(app, lang):
    with app.app_context():
        assert translation_status.glossary_problems(lang) == []


@pytest.mark.parametrize("lang", ["de", *TRANSLATED])
def test_an_entry_is_its_source_unchanged_only_where_the_glossary_allows_it(app, lang):
    """An entry equal to its English source is an untranslated entry, unless it is a code or a German name (or the
    same word in the language) that the glossary lists under same_as_source."""
    with app.app_context():
        same = {m.id for m in translation_status.catalog(lang) if isinstance(m.id, str) and m.id and m.string == m.id}
        assert same - translation_status.same_as_source(lang) == set()


def test_a_title_keeps_the_german_term_where_the_glossary_says_so(app):
    """keep_german: titles — a service's, step's or document's title names the German term people find on the
    office's paper; the check finds a title that drops it, and does not ask it of other texts."""
    from babel.messages.catalog import Message
    with app.app_context():
        terms = [t for t in translation_status.glossary() if t["id"] == "blue_card"]
        titles = translation_status.titles()
        assert "EU Blue Card" in titles and "Your new residence card" in titles
        dropped = translation_status.glossary_problems("fr", [Message("EU Blue Card", "Carte bleue européenne")], terms)
        kept = translation_status.glossary_problems(
            "fr", [Message("EU Blue Card", "Carte bleue européenne (Blaue Karte EU)")], terms)
        elsewhere = translation_status.glossary_problems(
            "fr", [Message("You have an EU Blue Card.", "Vous avez une carte bleue européenne.")], terms)
    assert len(dropped) == 1 and "title" in dropped[0] and kept == [] and elsewhere == []


def test_a_wrong_or_banned_rendering_is_found(app):
    """The check finds what it is for: "state insurance" again, and a term rendered some other way."""
    from babel.messages.catalog import Message
    with app.app_context():
        terms = [t for t in translation_status.glossary() if t["id"] == "statutory_insurance"]
        banned = terms[0]["languages"]["ar"]["banned"][0]
        wrong = [Message("Statutory health insurance", banned), Message("Statutory health insurance", "تأمين")]
        problems = translation_status.glossary_problems("ar", wrong, terms)
    assert len(problems) == 3 and sum("banned" in p for p in problems) == 1
