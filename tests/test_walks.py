"""Every branch of every service walked through the real app without JavaScript, from the first step to a packet.

The branches are data, one file per service in tests/walks/: the answers that
choose the branch, the items of repeat steps, and the EXACT documents the
branch asks for (so the documents of the other branches must not be asked), or
the stop page where the branch ends. Questions a branch does not name get a
valid answer by type; a date may be written `today-10d` (days, months, years from the day of the test). Each walk that does not stop submits, and its packet must
hold to the packet schema and to FIT-Connect's metadata schema.
"""
import pytest
import yaml

from assistant.definitions import ITEM
from assistant.handoff import packets
from tests.conftest import ROOT, csrf_of, draft_id_of, fill, form_fields, jpeg_bytes, packet_of, soup, start, upload

WALKS = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted((ROOT / "tests" / "walks").glob("*.yaml"))}
CASES = [pytest.param(service_id, branch, id=f"{service_id}: {branch['name']}")
         for service_id, table in WALKS.items() for branch in table["branches"]]
FITCONNECT = packets.VALIDATOR.evolve(schema=packets.FITCONNECT)


def walk(client, service, branch, defaults):
    """Answer every step of the branch; returns ("stop", step id) or ("documents"/"check", url)."""
    answers = defaults | branch.get("answers", {})
    url = start(client, service.id)
    for _ in range(60):
        if url.endswith(("/documents", "/check")):
            return url.rsplit("/", 1)[1], url
        step = service.step(url.split("?")[0].rsplit("/", 1)[1])
        if step.stop:
            page = soup(client.get(url))
            assert page.h1.text == step.title
            return "stop", step.id
        if step.repeat:
            for item in branch.get("items", {}).get(step.id, []):
                page = soup(client.get(url))
                added = client.post(url, data=form_fields(page, "main form[method=post]:has(button[value=add])") | {"action": "add"})
                assert added.status_code == 303 and "/items/" in added.location
                assert fill(client, added.location, service, answers | item).split("?")[0].endswith(f"/steps/{step.id}")
            page = soup(client.get(url))
            response = client.post(url, data=form_fields(page, "main form[method=post]:has(button[value=next])") | {"action": "next"})
            assert response.status_code in (302, 303), [e.text for e in soup(response).select(".error-summary li")]
            url = response.location
            continue
        url = fill(client, url, service, answers)
    raise AssertionError("the journey does not end")


@pytest.mark.parametrize("service_id, branch", CASES)
def test_every_branch_asks_its_own_documents_and_ends_in_a_valid_packet_or_its_stop_page(app, applicant, service_id, branch):
    service = app.extensions["services"][service_id]
    where, url = walk(applicant, service, branch, WALKS[service_id].get("defaults", {}))
    if branch.get("stop"):
        assert (where, url) == ("stop", branch["stop"])
        return
    assert where != "stop", f"the walk ended at the stop page '{url}'"
    draft = draft_id_of(url)
    page = soup(applicant.get(f"/applications/{draft}/documents"))
    asked = [section["id"][2:] for section in page.select("section.document")]
    assert sorted(asked) == sorted(branch["documents"])            # these, and none of the other branches'
    for document_id in asked:
        assert upload(applicant, draft, document_id, ("scan.jpg", jpeg_bytes((600, 400)))).status_code == 303
    check = soup(applicant.get(f"/applications/{draft}/check"))
    assert check.h1.text == "Check your answers"
    if check.select_one(f'a.button[href$="/applications/{draft}/pay"]'):   # paid first: by bank transfer here
        token = csrf_of(applicant, f"/applications/{draft}/pay")
        assert applicant.post(f"/applications/{draft}/pay", data={"csrf_token": token, "method": "invoice"}).status_code == 303
    token = check.select_one("input[name=csrf_token]")["value"]
    response = applicant.post(f"/applications/{draft}/submit", data={"csrf_token": token, "declaration": "yes"})
    assert response.status_code == 303 and "submitted=1" in response.location
    packet = packet_of(app, draft)
    packets.VALIDATOR.validate(packet)
    FITCONNECT.validate(packet["metadata"])
    assert sorted(d["document_id"] for d in packet["documents"]) == sorted(branch["documents"])
    for step_id, items in branch.get("items", {}).items():
        assert len(packet["data"]["answers"][step_id]) == len(items)


def test_every_service_has_a_walk_table_and_every_stop_page_is_reached():
    from assistant.definitions import load_services
    services = load_services(ROOT / "forms")
    assert sorted(WALKS) == sorted(services)
    for service_id, service in services.items():
        stops = {s.id for s in service.steps if s.stop}
        reached = {b["stop"] for b in WALKS[service_id]["branches"] if b.get("stop")}
        assert stops == reached, service_id


def test_a_walk_table_names_only_questions_and_documents_its_service_has():
    from assistant.definitions import load_services
    services = load_services(ROOT / "forms")
    for service_id, table in WALKS.items():
        service = services[service_id]
        item_ids = {q.id for s in service.steps if s.repeat for q in s.questions}
        documents = {d["id"] for d in service.documents}
        for branch in table["branches"]:
            assert set(branch.get("answers", {})) <= set(service.questions), (service_id, branch["name"])
            for items in branch.get("items", {}).values():
                assert all(set(item) <= item_ids for item in items), (service_id, branch["name"])
            assert {d.split(ITEM)[0] for d in branch.get("documents", [])} <= documents, (service_id, branch["name"])
        assert set(table.get("defaults", {})) <= set(service.questions), service_id

