"""Both services walked from the first step to "check your answers" without JavaScript, with pause, restart and resume."""
import pytest

from tests.conftest import english_client, PASSWORD, answer_step, draft_id_of, register, soup, start, submit


def walk(client, service, url, choose=None, limit=40):
    """Answer steps until "check your answers"; returns the visited step ids and the final response."""
    visited = []
    for _ in range(limit):
        visited.append(url.rsplit("/", 1)[1])
        response = answer_step(client, url, service, choose)
        assert response.status_code == 302, soup(response).select_one(".error-summary")
        url = response.location
        if url.endswith("/documents"):   # the questions are done; documents come next, then the summary
            url = url.replace("/documents", "/check")
        if url.endswith("/check"):
            return visited, client.get(url)
    raise AssertionError("the journey does not end")


@pytest.mark.parametrize("purpose", ["employment", "studies", "family", "humanitarian", "other"])
def test_residence_permit_branches_ask_their_own_questions_and_documents(app, applicant, purpose):
    service = app.extensions["services"]["residence-permit-extension"]
    visited, check = walk(applicant, service, start(applicant, service.id), {"purpose": purpose})
    branch_steps = {"employment", "studies", "family", "humanitarian", "other-purpose"}
    taken = branch_steps & set(visited)
    assert taken == {purpose if purpose != "other" else "other-purpose"}
    page = soup(check)
    assert page.h1.text == "Check your answers"
    headings = [h.text for h in page.select("main h2")]
    assert service.step(taken.pop()).title in headings
    docs = [dt.text for dt in page.select("main dl.summary dt")]
    expected = [d["label"] for d in service.documents if d.get("show_if") is None or d["show_if"].get("purpose") in (None, purpose)
                or (isinstance(d["show_if"].get("purpose"), list) and purpose in d["show_if"]["purpose"])]
    for label in expected:
        if all(k == "purpose" for k in service.documents[[x["label"] for x in service.documents].index(label)].get("show_if", {})):
            assert any(label in doc for doc in docs), label


@pytest.mark.parametrize("service_id", ["residence-permit-extension", "declaration-of-commitment"])
def test_walk_pause_restart_and_resume(make_app, service_id):
    first = make_app()
    client = english_client(first)
    register(client, email="walk@example.org")
    service = first.extensions["services"][service_id]
    url = start(client, service_id)
    draft = draft_id_of(url)
    url = answer_step(client, url, service).location          # step 1 done
    # Type into step 2, then pause: the typed answer is kept although the step is not finished.
    page = soup(client.get(url))
    step2 = url.rsplit("/", 1)[1]
    typed = next(d["id"][2:] for d in page.select("div.field[id^=q-]")
                 if service.questions[d["id"][2:]].type in ("text", "name", "phone", "email", "passport", "date"))
    response = submit(client, url, {typed: "x"}, action="pause")
    assert response.status_code == 302 and response.location.endswith("/dashboard")

    # A new app instance on the same database file: the draft is still there.
    second = make_app()
    again = english_client(second)
    submit(again, "/login", {"email": "walk@example.org", "password": PASSWORD}, action=None)
    dashboard = soup(again.get("/dashboard"))
    card = dashboard.select_one(".card")
    assert service.title in card.h3.text
    assert "1 of" in card.text
    resume = card.select_one("a.button")["href"]
    assert draft in resume
    response = again.get(resume)
    assert response.location.endswith(f"/steps/{step2}")
    assert soup(again.get(response.location)).select_one(f"input[name={typed}]")["value"] == "x"
    visited, check = walk(again, service, response.location)
    assert visited[0] == step2
    rows = [row for row in soup(check).select("dl.summary .row") if "/steps/" in row.select_one(".change a")["href"]]
    shown = {row.dt.text for row in rows}
    assert service.steps[0].questions[0].label in shown
    # Every row has a change link that comes back to the summary.
    assert all("change=1" in row.select_one(".change a")["href"] for row in rows)


def test_change_link_returns_to_the_summary_and_a_new_branch_is_asked_first(app, applicant):
    service = app.extensions["services"]["residence-permit-extension"]
    visited, check = walk(applicant, service, start(applicant, service.id), {"purpose": "studies"})
    page = soup(check)
    link = next(a["href"] for a in page.select(".change a") if a["href"].split("#")[1] == "f-birth_place")
    url = link.split("#")[0]
    response = submit(applicant, url, {"birth_place": "Hama"})
    assert response.status_code == 302 and response.location.endswith("/check")
    assert "Hama" in soup(applicant.get(response.location)).text
    # Changing the purpose opens the new branch's step, then comes back to the summary.
    purpose = next(a["href"] for a in page.select(".change a") if a["href"].endswith("#f-purpose")).split("#")[0]
    response = submit(applicant, purpose, {"purpose": "employment"})
    assert response.location.endswith("/steps/employment?change=1")
    response = answer_step(applicant, response.location, service)
    assert response.location.endswith("/check")
    headings = [h.text for h in soup(applicant.get(response.location)).select("main h2")]
    assert service.step("employment").title in headings and service.step("studies").title not in headings
