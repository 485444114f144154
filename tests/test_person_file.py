"""Every application matched to the person's file: the office confirms the file number and the AZR number on a case
(or its specialist system sets them through the API), the person's next application carries them without typing,
the inbox finds cases by them, and earlier cases of possibly the same person are offered, never merged unasked."""
import json

from tests.conftest import csrf_of, packet_of, register, soup, staff, start, submit_application

ENQUIRY = {"topic": "permit"}


def prefilled(app, url):
    """The numbers a new draft was prefilled with (what its step shows once the applicant gets there)."""
    from assistant.db import connect
    from tests.conftest import draft_id_of
    db = connect(app.config["DATABASE"])
    try:
        rows = db.execute("SELECT question_id, value FROM answers WHERE application_id = ? AND prefilled "
                          "AND question_id IN ('file_number', 'azr_number')", [draft_id_of(url)]).fetchall()
        return {r[0]: json.loads(r[1]) for r in rows}
    finally:
        db.close()


def confirm_on_case(app, application_id, file_number, azr_number, clerk=None):
    """A caseworker confirms the numbers on the case page's form."""
    clerk = clerk or staff(app)
    url = f"/office/cases/{application_id}"
    token = csrf_of(clerk, url)
    response = clerk.post(f"{url}/person-file", data={"csrf_token": token, "file_number": file_number, "azr_number": azr_number})
    return clerk, response


def test_a_confirmed_file_number_is_carried_by_the_next_application_without_typing(app, applicant):
    first, response = submit_application(applicant, app, "general-enquiry", ENQUIRY)
    assert response.status_code == 303
    assert "file_number" not in packet_of(app, first)["applicant"]

    clerk, response = confirm_on_case(app, first, "abh 123456/24", "1234 5678 9012")
    assert response.status_code == 303
    case = soup(clerk.get(f"/office/cases/{first}"))
    assert "ABH 123456/24" in case.select_one("#person-file").text and "123456789012" in case.select_one("#person-file").text
    assert "The file number and AZR number of the person were confirmed." in case.text   # on the timeline, for staff

    assert prefilled(app, start(applicant, "general-enquiry")) == {"file_number": "ABH 123456/24", "azr_number": "123456789012"}
    second, response = submit_application(applicant, app, "general-enquiry", ENQUIRY)
    applicant_block = packet_of(app, second)["applicant"]
    assert (applicant_block["file_number"], applicant_block["azr_number"], applicant_block["file_confirmed"]) == (
        "ABH 123456/24", "123456789012", True)

    for query in ("ABH 123456/24", "123456789012"):
        inbox = soup(clerk.get("/office/", query_string={"q": query}))
        found = {a["href"].rsplit("/", 1)[1] for a in inbox.select("table a[href*='/office/cases/']")}
        assert found == {first, second}, query


def test_the_office_refuses_numbers_in_the_wrong_format(app, applicant):
    first, _response = submit_application(applicant, app, "general-enquiry", ENQUIRY)
    _clerk, response = confirm_on_case(app, first, "", "12345")
    assert response.status_code == 422 and "12 digits" in response.get_data(as_text=True)


def test_the_specialist_system_sets_the_numbers_through_the_api(app, applicant):
    first, _response = submit_application(applicant, app, "general-enquiry", ENQUIRY)
    reference = packet_of(app, first)["reference"]
    created = app.test_cli_runner().invoke(args=["api-tokens", "create", "specialist-system"])
    headers = {"Authorization": f"Bearer {created.output.strip().splitlines()[-1]}"}
    api = app.test_client()
    bad = api.put(f"/api/v1/cases/{reference}/person-file", json={"azr_number": "12"}, headers=headers)
    assert bad.status_code == 422 and "azr_number" in bad.json["error"]
    done = api.put(f"/api/v1/cases/{reference}/person-file", json={"file_number": "ABH 7/25", "azr_number": "000011112222"},
                   headers=headers)
    assert done.status_code == 200
    assert done.json["person_file"]["file_number"] == "ABH 7/25" and done.json["person_file"]["confirmed_by"].startswith("api:")
    assert api.get(f"/api/v1/cases/{reference}", headers=headers).json["person_file"]["azr_number"] == "000011112222"
    assert prefilled(app, start(applicant, "general-enquiry"))["file_number"] == "ABH 7/25"


def test_an_earlier_case_of_possibly_the_same_person_is_suggested_and_decided_by_the_caseworker(app, client):
    from flask.testing import FlaskClient
    first_person = register(client, email="one@example.org")
    first, _response = submit_application(first_person, app, "residence-permit-extension")
    clerk, _response = confirm_on_case(app, first, "ABH 1/24", "")
    other = FlaskClient(app, use_cookies=True)
    register(other, email="two@example.org")   # another account, the same passport number (the sample answers)
    second, _response = submit_application(other, app, "residence-permit-extension")

    page = soup(clerk.get(f"/office/cases/{second}"))
    suggested = page.select("#person-file ul.items li")
    assert len(suggested) == 1
    links = [a["href"] for a in page.select("#person-file ul.items a")]
    assert links == [f"/office/cases/{first}"]
    assert "same passport number" in suggested[0].text
    token = csrf_of(clerk, f"/office/cases/{second}")
    assert clerk.post(f"/office/cases/{second}/same-person/{first}", data={"csrf_token": token, "same": "yes"}).status_code == 303
    page = soup(clerk.get(f"/office/cases/{second}"))
    assert "ABH 1/24" in page.select_one("#person-file dl").text       # taken over from the confirmed person
    assert not page.select("#person-file ul.items")                    # confirmed now: nothing more to suggest
    assert clerk.post(f"/office/cases/{second}/same-person/{first}", data={"csrf_token": token, "same": "no"}).status_code == 404
