"""`make bench`: the app under gunicorn with production settings, driven from a second process on 127.0.0.1.

Every figure is printed with its ratio to a floor measured in the same run: a floor endpoint (the same app, middleware,
session, login and CSRF handling, a view that returns a constant; bench/app.py) for the requests, and a floor PDF (the
receipt's text as plain paragraphs, same fonts and PDF/A, drawn by WeasyPrint) for the receipt. Two kinds of load:
back to back (each user sends its next request when the answer is in: capacity) and open loop (requests on a fixed
schedule, latency counted from when each was due, so a slow server cannot slow the load down: no coordinated omission),
with the rate actually served and the load generator's own CPU. Then the peak memory of each gunicorn worker and the
first page of an application over slow 3G. Figures, not tests.
"""
import contextlib
import http.client
import html
import json
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
SUBMIT_RATES = (5, 10, 20)          # open loop: submits per second offered
CHECK_RATES = (200, 500, 1000)      # open loop: live checks per second offered
SPARE_DRAFTS = 4 * -(-max(SUBMIT_RATES) * int(SECONDS) * len(SUBMIT_RATES) // max(LEVELS))   # per user, for the open loop
PDF_ROUNDS = 15
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
    from tests.conftest import choose_language, english_client, register, submit_application  # the tests' real flows
    database = folder / "bench.sqlite"
    migrate(str(database))
    app = create_app({"DATABASE": str(database), "SECRET_KEY": "bench", "FILES_DIR": str(folder / "files"), "TESTING": True})
    client = english_client(app)
    register(client, email="template@example.org")
    template, _ = submit_application(client, app, "declaration-of-commitment")  # answers and files to copy
    arabic = english_client(app)
    register(arabic, email="arabic@example.org")
    choose_language(arabic, "ar")
    arabic_draft, _ = submit_application(arabic, app, "declaration-of-commitment")
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
        for _ in range(1 + SUBMITS_PER_USER * len(LEVELS) + SPARE_DRAFTS):
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
    records = {language: json.loads(db.execute("SELECT snapshot FROM records WHERE application_id = ?", [draft]).fetchone()[0])
               for language, draft in (("en", template), ("ar", arabic_draft))}
    return database, app, records


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
    "floor": lambda u: u.request("POST", "/bench/floor", {"csrf_token": u.token, "birth_place": "Homs"},
                                 {"HX-Request": "true"}),
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
            t = time.perf_counter()
            status, _ = submit_next(user)
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)
            assert status == 303, status

    return in_parallel(drive, users[:level], latencies)


def submit_next(user):
    """The user submits its next complete draft."""
    return user.request("POST", f"/applications/{user.drafts.pop()}/submit", {"csrf_token": user.token, "declaration": "yes"})


def open_loop(users, send, rate, seconds=SECONDS):
    """`rate` requests per second on a fixed schedule, each sent by whichever user is free; returns (rate served,
    latencies in ms counted from when each request was due, the generator's CPU in % of one core)."""
    count, lock, latencies, ends = int(rate * seconds), threading.Lock(), [], []
    slots = iter(range(count))
    start = time.perf_counter() + 0.05

    def drive(user):
        while True:
            with lock:
                slot = next(slots, None)
            if slot is None:
                return
            due = start + slot / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            status, _ = send(user)
            end = time.perf_counter()
            assert status < 400, status
            with lock:
                latencies.append((end - due) * 1000)
                ends.append(end)

    cpu = time.process_time()
    in_parallel(drive, users, [])
    wall = max(ends) - start
    return count / wall, latencies, 100 * (time.process_time() - cpu) / wall


def floor_html(receipt_html):
    """The receipt's text as plain paragraphs (drawn with the receipt's stylesheet: its fonts and page): what
    WeasyPrint needs at least for the same text."""
    head = re.search(r"<html[^>]*>", receipt_html).group()
    body = re.search(r"<body[^>]*>(.*)</body>", receipt_html, re.S).group(1)
    lines = [html.unescape(line).strip() for line in re.sub(r"<[^>]+>", "\n", body).split("\n")]
    return (f"<!doctype html>{head}<head><meta charset=utf-8></head><body>"
            + "".join(f"<p>{html.escape(line)}</p>" for line in lines if line) + "</body></html>")


def pdf_figures(app, records):
    """p50 of drawing the receipt and the floor PDF of the same text, per language, in this process."""
    from flask import current_app, render_template
    from flask_babel import force_locale
    from weasyprint import HTML
    from assistant.applications import receipt
    rows = []
    with app.test_request_context():
        for language, record in records.items():
            with force_locale(language):
                page = render_template("pdf/receipt.html", record=record)
                floor = floor_html(page)

                def floor_pdf():
                    return HTML(string=floor, base_url=current_app.config["STATIC_DIR"]).write_pdf(
                        pdf_variant="pdf/a-3b", font_config=receipt.font_config(), stylesheets=[receipt.stylesheet()])

                receipt.render(record), floor_pdf()          # warm: fonts, templates
                times = {}
                for name, draw in (("receipt", lambda: receipt.render(record)), ("floor PDF", floor_pdf)):
                    times[name] = []
                    for _ in range(PDF_ROUNDS):
                        t = time.perf_counter()
                        draw()
                        times[name].append((time.perf_counter() - t) * 1000)
                rows.append((language, statistics.median(times["receipt"]), statistics.median(times["floor PDF"])))
    return rows


def machine():
    """The CPU model, cores and memory of this machine, for the figures' caption."""
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    memory = int(re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.M).group(1)) / 1024 / 1024
    return f"{cpu.group(1) if cpu else 'unknown CPU'}, {os.cpu_count()} cores, {memory:.0f} GB"


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


def drawn(database):
    """Wait until every receipt handed to the server's threads is drawn; returns the seconds waited."""
    t = time.perf_counter()
    with contextlib.closing(sqlite3.connect(database)) as db:
        while db.execute("SELECT count(*) FROM receipts_to_draw").fetchone()[0]:
            time.sleep(0.05)
    return time.perf_counter() - t


def serve(port, env, log):
    """gunicorn with the bench's app on the port, once it answers."""
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(WORKERS), "--threads", str(THREADS),
               "--keep-alive", "30", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "bench.app:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
            break
        except OSError:
            time.sleep(0.1)
    return server


def table(title, header, rows):
    """Print a table of figures."""
    print(f"\n{title}\n")
    print("  ".join(f"{h:>{w}}" for h, w in header))
    for row in rows:
        print("  ".join(f"{v:>{w}.{1 if isinstance(v, float) else 0}f}" if isinstance(v, (int, float)) else f"{v:>{w}}"
                        for v, (_h, w) in zip(row, header)), flush=True)


def main():
    """Prepare, serve, measure, print."""
    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"Preparing {max(LEVELS)} applicants with complete drafts ...", flush=True)
    database, app, records = prepare(folder, max(LEVELS))
    print(f"\nMachine: {machine()}")
    table("Drawing the PDF (in this process): receipt against the floor PDF of the same text",
          [("language", 8), ("receipt p50 ms", 15), ("floor PDF p50 ms", 17), ("ratio", 6)],
          [(language, receipt_ms, floor_ms, receipt_ms / floor_ms) for language, receipt_ms, floor_ms in pdf_figures(app, records)])
    port = free_port()
    env = os.environ | {"ASSISTANT_ENV": "production", "ASSISTANT_SECRET_KEY": secrets.token_hex(32), "ASSISTANT_DATABASE": str(database),
                        "ASSISTANT_FILES_DIR": str(folder / "files"), "ASSISTANT_INSTANCE_PATH": str(folder),
                        "ASSISTANT_SECURE_COOKIES": "0"}  # plain HTTP on 127.0.0.1; behind TLS in production
    log = open(folder / "server.log", "w")      # the e-mails it would send, and any error
    server = serve(port, env, log)
    try:
        users = [User(port, f"user{i}@example.org") for i in range(max(LEVELS))]
        print(f"\ngunicorn {WORKERS} workers x {THREADS} threads, {SECONDS:.0f} s per run")
        header = [("scenario", 12), ("users", 5), ("req/s", 8), ("p50 ms", 8), ("p95 ms", 8), ("p99 ms", 8),
                  ("requests", 8), ("p50/floor", 9)]
        rows, floor = [], {}
        for scenario in [*SCENARIOS, "submit"]:
            for level in LEVELS:
                rate, latencies = run_submits(users, level) if scenario == "submit" else run(users, scenario, level)
                p50 = statistics.median(latencies)
                floor.setdefault(level, p50)                     # the floor is the first scenario
                rows.append((scenario, level, rate, p50, percentile(latencies, 95), percentile(latencies, 99),
                             len(latencies), p50 / floor[level]))
        table("Back to back: every user sends its next request as soon as the answer is in (capacity)", header, rows)
        open_header = [("scenario", 12), ("offered/s", 9), ("served/s", 8), ("p50 ms", 8), ("p95 ms", 8), ("p99 ms", 8),
                       ("generator CPU %", 15)]
        rows = []
        for scenario, rates, send in (("floor", CHECK_RATES, SCENARIOS["floor"]),
                                      ("field check", CHECK_RATES, SCENARIOS["field check"]),
                                      ("submit", SUBMIT_RATES, submit_next)):
            for offered in rates:
                served, latencies, cpu = open_loop(users, send, offered)
                rows.append((scenario, offered, served, statistics.median(latencies), percentile(latencies, 95),
                             percentile(latencies, 99), cpu))
        table("Open loop: requests on a fixed schedule, latency counted from when each was due", open_header, rows)
        rows = []
        for scenario in ("floor", "field check", "step GET", "step POST"):
            for level in LEVELS:
                rate, latencies = run(users, scenario, level, pace=1.0)
                rows.append((scenario, level, rate, statistics.median(latencies), percentile(latencies, 95),
                             percentile(latencies, 99), len(latencies)))
        table("At a person's pace: each user sends one request per second (a live check as someone types)",
              header[:-1], rows)
        peaks = peak_memory(server.pid)
        print(f"\npeak memory per worker: {', '.join(f'{m:.0f} MB' for m in peaks)}")
        print(f"first page of an application over slow 3G (2 s latency, 400 kbit/s), cold cache: "
              f"{slow_3g_first_page(port):.1f} s")
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server = serve(port, env | {"ASSISTANT_RECEIPT_DRAWING": "after-commit"}, log)   # the users reconnect
        in_parallel(lambda user: submit_next(user), users[:WORKERS * 4], [])              # warm: threads, fonts
        drawn(database)
        rows = []
        for offered in SUBMIT_RATES:
            served, latencies, cpu = open_loop(users, submit_next, offered)
            rows.append(("submit", offered, served, statistics.median(latencies), percentile(latencies, 95),
                         percentile(latencies, 99), cpu, drawn(database)))
        table("ASSISTANT_RECEIPT_DRAWING=after-commit, open loop: the answer to Send, then every receipt drawn",
              open_header + [("receipts done after s", 21)], rows)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
        errors = (folder / "server.log").read_text(errors="replace").count("Traceback")
        print(f"server errors: {errors}" + ("" if not errors else f" (see the log: {folder / 'server.log'})"))
        if not errors:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
