"""`flask i18n status`: where a municipality that engages reviewers starts."""
import shutil

from assistant.i18n import LANGUAGES
from tests.conftest import ROOT


def test_the_status_counts_entries_reviews_and_glossary_compliance_per_language(make_app, tmp_path):
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    po = locales / "ar" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    for msgid in ('msgid "Apply online"', 'msgid "Reference number"'):
        assert msgid in text
        text = text.replace(f"\n{msgid}\n", f"\n# reviewed: Amina Yousef 2026-11-30\n{msgid}\n", 1)
    po.write_text(text, encoding="utf-8")
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(locales))
    result = app.test_cli_runner().invoke(args=["i18n", "status"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()[1:]}
    assert set(rows) == set(LANGUAGES)
    assert rows["ar"][2] == "2" and "Amina" in " ".join(rows["ar"]) and "2026-11-30" in rows["ar"][-1]
    assert rows["fa"][2] == "0" and rows["fa"][5] == "draft" and rows["de"][5] == "reviewed"
    entries, naming, follow = int(rows["ar"][1]), int(rows["ar"][3]), rows["ar"][4]
    assert entries > 1000 and 0 < naming < entries and follow == f"{naming}/{naming}"   # the catalog follows it
