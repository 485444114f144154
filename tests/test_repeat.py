"""Repeat steps without JavaScript: add, change and remove items; an item's answers and per-item documents go with it,
nothing of a removed item comes back with the next one, and the step goes on only with enough complete items."""
import yaml

from tests.conftest import ROOT, csrf_of, draft_id_of, fill, form_fields, jpeg_bytes, soup, start, upload

TABLE = yaml.safe_load((ROOT / "tests" / "walks" / "family-reunification.yaml").read_text(encoding="utf-8"))
ANSWERS = TABLE.get("defaults", {}) | next(b for b in TABLE["branches"] if b.get("items"))["answers"]
MEMBER = {"member_family_name": "Haddad", "member_given_names": "Lina", "member_birth_date": "01.03.2018",
          "member_nationality": "SY", "member_relationship": "child"}


def members_step(app, client):
    service = app.extensions["services"]["family-reunification"]
    url = start(client, service.id)
    while not url.endswith("/steps/members"):
        url = fill(client, url, service, ANSWERS)
    return service, url


def press(client, url, action):
    page = soup(client.get(url))
    return client.post(url, data=form_fields(page, f"main form[method=post]:has(button[value={action}])") | {"action": action})


def test_an_item_is_added_changed_and_removed_with_its_answers_and_documents(app, applicant, db_path):
    from assistant.db import connect
    service, url = members_step(app, applicant)
    draft = draft_id_of(url)
    for given in ("Lina", "Omar"):
        added = press(applicant, url, "add")
        assert added.status_code == 303
        assert fill(applicant, added.location, service, ANSWERS | MEMBER | {"member_given_names": given}).endswith("/steps/members")
    page = soup(applicant.get(url))
    assert [li["id"] for li in page.select("ul.items li")] == ["item-1", "item-2"]
    assert "Omar Haddad" in page.select_one("#item-2").text
    # Change item 2 from its Change link.
    change = page.select_one("#item-2 a")["href"]
    assert fill(applicant, change, service, ANSWERS | MEMBER | {"member_given_names": "Karim"}).endswith("/steps/members")
    assert "Karim Haddad" in soup(applicant.get(url)).select_one("#item-2").text
    # Go on, upload a document of item 2, then remove item 2: its answers and its file go, nothing comes back.
    following = press(applicant, url, "next").location
    while not following.endswith(("/documents", "/check")):
        following = fill(applicant, following, service, ANSWERS)
    assert upload(applicant, draft, "member_passport__2", ("p.jpg", jpeg_bytes((300, 200)))).status_code == 303
    db = connect(app.config["DATABASE"])
    stored = db.execute("SELECT storage_name FROM files WHERE document_id = 'member_passport__2'").fetchone()[0]
    removed = applicant.post(f"{url}/items/2/remove", data={"csrf_token": csrf_of(applicant, url)})
    assert removed.status_code == 303
    assert db.execute("SELECT count(*) FROM files WHERE document_id = 'member_passport__2'").fetchone()[0] == 0
    assert not (db_path.parent / "files" / stored).exists() and not list((db_path.parent).rglob(stored))
    assert db.execute("SELECT count(*) FROM answers WHERE application_id = ? AND question_id LIKE '%\\_\\_2' ESCAPE '\\'",
                      [draft]).fetchone()[0] == 0
    assert applicant.get(f"{url}/items/2").status_code == 404
    again = press(applicant, url, "add").location
    assert again.endswith("/steps/members/items/2")
    assert soup(applicant.get(again)).select_one("input[name=member_given_names__2]").get("value", "") == ""
    db.close()


def test_the_step_goes_on_only_with_complete_items_and_not_past_its_maximum(app, applicant):
    service, url = members_step(app, applicant)
    step = service.step("members")
    press(applicant, url, "add")                        # added, never answered
    refused = press(applicant, url, "next")
    assert refused.status_code == 422
    assert "Family member 1 is not complete" in soup(refused).select_one(".error-summary").text
    for _ in range(step.repeat["max"] - 1):
        press(applicant, url, "add")
    assert not soup(applicant.get(url)).select("button[value=add]")   # no button past the maximum
    assert press(applicant, url, "next").status_code == 422
    page = soup(applicant.get(url))
    forced = applicant.post(url, data=form_fields(page, "main form[method=post]:has(button[value=next])") | {"action": "add"})
    assert forced.status_code == 422 and "You cannot add more." in forced.get_data(as_text=True)


def test_an_item_field_is_checked_live_and_a_field_of_no_item_is_not_found(app, applicant):
    _service, url = members_step(app, applicant)
    item = press(applicant, url, "add").location
    token = csrf_of(applicant, item)
    checked = applicant.post(f"{url}/fields/member_birth_date__1", headers={"HX-Request": "true"},
                             data={"csrf_token": token, "member_birth_date__1": "31.02.2019"})
    assert checked.status_code == 200
    assert soup(checked).select_one("#q-member_birth_date__1 .error-message")
    assert soup(applicant.get(item)).select_one("input[name=member_birth_date__1]")["value"] == "31.02.2019"   # kept as typed
    for field in ("member_birth_date__2", "member_birth_date", "member_birth_date__x"):
        assert applicant.post(f"{url}/fields/{field}", headers={"HX-Request": "true"},
                              data={"csrf_token": token, field: "01.01.2019"}).status_code == 404
