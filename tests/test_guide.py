"""The guide "What do you need?": every route through the real pages ends at a service or a stop page, in German and
Arabic, without an account; and `forms check` refuses routes that go nowhere or in a circle."""
import shutil

import pytest
import yaml

from assistant.definitions import guide, load_services
from tests.conftest import ROOT, choose_language, soup


@pytest.mark.parametrize("language", ["de", "ar"])
def test_every_route_of_the_guide_ends_at_a_service_or_a_stop_page(app, client, language):
    assert choose_language(client, language).status_code in (302, 303)
    routes = app.extensions["guide"]
    seen, ends, queue = set(), {}, ["/guide/"]
    while queue:
        url = queue.pop()
        if url.split("?")[0] in seen:
            continue
        seen.add(url.split("?")[0])
        response = client.get(url)
        assert response.status_code == 200, url
        page = soup(response)
        assert page.html["lang"] == language
        links = [a["href"] for a in page.select("main ul.choices a")]
        if "/guide/results/" in url:
            assert not links
            services = [a["href"] for a in page.select("main .card h2 a")]
            ends[url.split("?")[0].rsplit("/", 1)[1]] = services
            for href in services:                      # each recommended service opens, for anyone
                assert client.get(href).status_code == 200
        else:
            assert len(links) >= 2
            queue += links
    assert set(ends) == set(routes.results)            # every result is reached by a route
    for result_id, services in ends.items():
        result = routes.results[result_id]
        assert services == [f"/services/{s}" for s in result.get("services", [])]
        assert services or result["stop"]
    questions = {url.rsplit("/", 1)[1] for url in seen if "/questions/" in url} | {routes.start}
    assert questions == set(routes.questions)


def test_the_guide_page_works_without_an_account_and_names_the_way_back(client):
    first = soup(client.get("/guide/"))
    link = first.select_one("main ul.choices a")["href"]
    second = soup(client.get(link))
    assert second.select_one("a.back")["href"].endswith("/guide/questions/" + link.split("back=")[1])


@pytest.mark.parametrize("change, message", [
    (lambda d: d["questions"][0]["answers"][0].update(next="nowhere"), "'nowhere' is not a question"),
    (lambda d: d["results"][0].update(services=["no-such-service"]), "'no-such-service' is not a service of this folder"),
    (lambda d: d["questions"].append({"id": "lonely", "text": "Alone?", "answers": [
        {"label": "Yes", "result": d["results"][0]["id"]}, {"label": "No", "result": d["results"][0]["id"]}]}),
     "no route leads to question 'lonely'"),
    (lambda d: d["questions"][-1]["answers"][0].update(next=d["start"], result=None) or
     d["questions"][-1]["answers"][0].pop("result"), "comes back to it"),
])
def test_forms_check_refuses_routes_that_go_nowhere_or_in_a_circle(tmp_path, change, message):
    shutil.copytree(ROOT / "forms", tmp_path / "forms")
    path = tmp_path / "forms" / guide.FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    routes, problems = guide.check(tmp_path / "forms", load_services(tmp_path / "forms"))
    assert routes is None and any(message in p.message for p in problems), [str(p) for p in problems]
    assert all(p.file == str(path) and p.line for p in problems)
