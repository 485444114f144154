"""`make bench`: the app under gunicorn with production settings, driven from a second process on 127.0.0.1.

Prints requests per second and p50/p95/p99 latency for a live field check, a step GET, a step POST and a
submission at 1, 10 and 50 concurrent users, the peak memory of each gunicorn worker, and how long the first
page of an application takes to arrive in Chromium over an emulated slow 3G connection. Figures, not tests.
"""
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LEVELS = (1, 10, 50)
SECONDS = 4.0            # per scenario and level
SUBMITS_PER_USER = 2     # a submission uses a draft up, so these are counted, not timed
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
PASSWORD = "bench password 1"


def free_port():
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(folder, users):
    """A database with `users` applicants, each with one complete draft per submission to come."""
    from assistant import create_app
    from assistant.db import migrate
    from tests.conftest import english_client, register, submit_application  # the same real flows the tests use
    database = folder / "bench.sqlite"
    migrate(str(database))
    app = create_app({"DATABASE": str(database), "SECRET_KEY": "bench", "FILES_DIR": str(folder / "files"), "TESTING": True})
    client = english_client(app)
    register(client, email="template@example.org")
    template, _ = submit_application(client, app, "declaration-of-commitment")  # answers and files to copy
    db = sqlite3.connect(database)  # the template stays submitted: a submitted application is a record
    with app.app_context():
        from assistant.identity import create_account
        for i in range(users):
            create_account(f"user{i}@example.org", PASSWORD)
    rows = db.execute("SELECT id FROM accounts WHERE email LIKE 'user%'").fetchall()
    files = db.execute("SELECT * FROM files WHERE application_id = ? AND purpose = 'attachment'", [template]).fetchall()
    columns = [c[1] for c in db.execute("PRAGMA table_info(files)")]
    for (account_id,) in rows:
        person = db.execute("SELECT id FROM persons WHERE account_id = ?", [account_id]).fetchone()[0]
        for _ in range(1 + SUBMITS_PER_USER * len(LEVELS)):
            new = secrets.token_urlsafe(12)
            db.execute("INSERT INTO applications (id, person_id, account_id, service_id, service_version) "
                       "SELECT ?, ?, ?, service_id, service_version FROM applications WHERE id = ?", [new, person, account_id, template])
            db.execute("INSERT INTO answers SELECT ?, question_id, raw, value, prefilled, updated_at FROM answers WHERE application_id = ?", [new, template])
            db.execute("INSERT INTO confirmed_steps SELECT ?, step_id FROM confirmed_steps WHERE application_id = ?", [new, template])
            for f in files:
                values = dict(zip(columns, f, strict=True)) | {"id": secrets.token_urlsafe(12), "application_id": new,
                                                   "storage_name": secrets.token_hex(16)}
                shutil.copy(folder / "files" / f[columns.index("storage_name")], folder / "files" / values["storage_name"])
                db.execute(f"INSERT INTO files ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})", [values[c] for c in columns])
    db.commit()
    return database


class User:
    """One applicant's browser: a keep-alive connection, its cookie and the CSRF token of its pages."""

    def __init__(self, port, email):
        self.port, self.cookie = port, ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        page = self.request("GET", "/login")[1]
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _ = self.request("POST", "/login", {"csrf_token": self.token, "email": email, "password": PASSWORD})
        assert status == 302, status
        dashboard = self.request("GET", "/dashboard")[1]
        self.drafts = re.findall(r'href="/applications/([^"/]+)"', dashboard)
        self.draft = self.drafts.pop()

    def request(self, method, path, form=None, headers=None):
        """One request; returns (status, text)."""
        body = urlencode(form) if form else None
        head = {"Cookie": self.cookie, **(headers or {})}
        if body:
            head["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=head)
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):  # the server closed an idle connection
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body=body, headers=head)
            response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, text


SCENARIOS = {
    "field check": lambda u: u.request("POST", f"/applications/{u.draft}/steps/guarantor/fields/birth_place",
                                       {"csrf_token": u.token, "birth_place": "Homs"}, {"HX-Request": "true"}),
    "step GET": lambda u: u.request("GET", f"/applications/{u.draft}/steps/guarantor"),
    "step POST": lambda u: u.request("POST", f"/applications/{u.draft}/steps/guarantor",
                                     {"csrf_token": u.token, "birth_place": "Homs", "action": "pause"}),
}


def run(users, scenario, level, pace=None):
    """Drive `level` users at once, back to back or one request per `pace` seconds each; returns (req/s, latencies in ms)."""
    latencies, lock = [], threading.Lock()
    stop = time.monotonic() + SECONDS

    def drive(user):
        mine = []
        if pace:
            time.sleep(random.random() * pace)  # people do not start in step
        while time.monotonic() < stop:
            t = time.perf_counter()
            status, _ = SCENARIOS[scenario](user)
            mine.append((time.perf_counter() - t) * 1000)
            assert status < 400, (scenario, status)
            if pace:
                time.sleep(max(0.0, pace - (time.perf_counter() - t)))
        with lock:
            latencies.extend(mine)

    return in_parallel(drive, users[:level], latencies)


def in_parallel(drive, users, latencies):
    """Run `drive` for every user in its own thread; returns (requests per second, latencies)."""
    start = time.monotonic()
    threads = [threading.Thread(target=drive, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.monotonic() - start), latencies


def run_submits(users, level):
    """Each of `level` users submits its next complete draft, twice; returns (rate, latencies)."""
    latencies, lock = [], threading.Lock()

    def drive(user):
        for _ in range(SUBMITS_PER_USER):
            draft = user.drafts.pop()
            t = time.perf_counter()
            status, _ = user.request("POST", f"/applications/{draft}/submit", {"csrf_token": user.token, "declaration": "yes"})
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)
            assert status == 303, status

    return in_parallel(drive, users[:level], latencies)


def percentile(values, p):
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def peak_memory(master_pid):
    """Peak resident memory (VmHWM) of each gunicorn worker, in MB."""
    peaks = []
    for child in Path("/proc").iterdir():
        try:
            status = (child / "status").read_text()
        except (OSError, ValueError):
            continue
        if re.search(rf"^PPid:\s+{master_pid}$", status, re.M):
            peaks.append(int(re.search(r"^VmHWM:\s+(\d+)", status, re.M).group(1)) / 1024)
    return peaks


def slow_3g_first_page(port):
    """Seconds from "Start now" to the loaded first step, cold cache, over DevTools' slow 3G profile."""
    from playwright.sync_api import sync_playwright
    from tests.conftest import CHROMIUM, CHROMIUM_FLAGS
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 360, "height": 640})
        base = f"http://127.0.0.1:{port}"
        page.goto(f"{base}/login")
        page.fill("#email", "user0@example.org")
        page.fill("#password", PASSWORD)
        page.click("main button.primary")
        page.goto(f"{base}/services/residence-permit-extension")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 2000,
                                                      "downloadThroughput": 500 * 1024 / 8 * 0.8,
                                                      "uploadThroughput": 500 * 1024 / 8 * 0.8})
        t = time.perf_counter()
        page.click("main button.primary")
        page.wait_for_url("**/steps/person", wait_until="load", timeout=120000)
        elapsed = time.perf_counter() - t
        browser.close()
        return elapsed


def main():
    """Prepare, serve, measure, print."""
    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"Preparing {max(LEVELS)} applicants with complete drafts ...", flush=True)
    database = prepare(folder, max(LEVELS))
    port = free_port()
    env = os.environ | {"ASSISTANT_ENV": "production", "ASSISTANT_SECRET_KEY": secrets.token_hex(32), "ASSISTANT_DATABASE": str(database),
                        "ASSISTANT_FILES_DIR": str(folder / "files"), "ASSISTANT_INSTANCE_PATH": str(folder),
                        "ASSISTANT_SECURE_COOKIES": "0"}  # plain HTTP on 127.0.0.1; behind TLS in production
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(WORKERS), "--threads", str(THREADS),
               "--keep-alive", "30", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        users = [User(port, f"user{i}@example.org") for i in range(max(LEVELS))]
        print(f"\ngunicorn {WORKERS} workers x {THREADS} threads, {os.cpu_count()} CPUs, {SECONDS:.0f} s per run\n")
        print("Back to back: every user sends its next request as soon as the answer is in (capacity)\n")
        print(f"{'scenario':<12} {'users':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'requests':>9}")
        for scenario in [*SCENARIOS, "submit"]:
            for level in LEVELS:
                rate, latencies = run_submits(users, level) if scenario == "submit" else run(users, scenario, level)
                print(f"{scenario:<12} {level:>5} {rate:>8.1f} {statistics.median(latencies):>8.1f} "
                      f"{percentile(latencies, 95):>8.1f} {percentile(latencies, 99):>8.1f} {len(latencies):>9}", flush=True)
        print("\nAt a person's pace: each user sends one request per second (a live check as someone types)\n")
        print(f"{'scenario':<12} {'users':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'requests':>9}")
        for scenario in SCENARIOS:
            for level in LEVELS:
                rate, latencies = run(users, scenario, level, pace=1.0)
                print(f"{scenario:<12} {level:>5} {rate:>8.1f} {statistics.median(latencies):>8.1f} "
                      f"{percentile(latencies, 95):>8.1f} {percentile(latencies, 99):>8.1f} {len(latencies):>9}", flush=True)
        peaks = peak_memory(server.pid)
        print(f"\npeak memory per worker: {', '.join(f'{m:.0f} MB' for m in peaks)}")
        print(f"first page of an application over slow 3G (2 s latency, 400 kbit/s), cold cache: "
              f"{slow_3g_first_page(port):.1f} s")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
