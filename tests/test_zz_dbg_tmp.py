import io
from tests.test_api import Api, new_token, query, submitted, pdf_bytes
def test_dbg(app, submitted, db_path):
    api = Api(app, new_token(app))
    ref = query(db_path, "SELECT reference FROM applications")[0]["reference"]
    c = f"/cases/{ref}"
    for label, r in [
        ("nested", api.post(f"{c}/messages", data="[" * 50000 + "]" * 50000, content_type="application/json")),
        ("nested-obj", api.post(f"{c}/messages", data='{"body":' + "[" * 900 + "]" * 900 + "}", content_type="application/json")),
        ("big", api.post(f"{c}/messages", json={"body": "x" * 70000})),
        ("null", api.post("/packets/lease", data="null", content_type="application/json")),
        ("nan", api.post("/packets/lease", data='{"limit": NaN}', content_type="application/json")),
        ("float", api.post("/packets/lease", data='{"limit": 2.0}', content_type="application/json")),
        ("huge", api.post("/packets/lease", data='{"limit": 1' + "0" * 5000 + '}', content_type="application/json")),
        ("latin1", api.post("/packets/lease", data='{"limit": 1}'.encode("utf-16"), content_type="application/json")),
        ("form", api.post(f"{c}/messages", data={"body": "x"})),
        ("field-file", api.post(f"{c}/decision", data={"file": "%PDF-1.4 abc"})),
        ("unicode-ref", api.get("/cases/ßßßß-ßßßß-ß")),
        ("auth-unicode", app.test_client().get("/api/v1/cases/x", headers={"Authorization": "Bearer ÿÿ"})),
        ("head", api.client.head(f"/api/v1/cases/{ref}", headers=api.headers)),
        ("ack-str", api.post("/packets/abc/ack")),
        ("neg", api.get("/packets/-1")),
        ("zero", api.get("/packets/0")),
    ]:
        print(label, r.status_code, r.mimetype, r.get_data()[:120]); r.close()
