"""Schema changes, one function per change, applied in order. Never edit one that has landed."""
from sqlite_utils import Migrations

migrations = Migrations("assistant")


@migrations(name="0001_accounts_and_persons")
def _accounts_and_persons(db):
    """Accounts log in; persons are whom applications are about (an applicant's own, or a counselor's clients)."""
    db.execute("""
        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'applicant' CHECK (role IN ('applicant', 'caseworker', 'admin')),
            locale TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    db.execute("""
        CREATE TABLE persons (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            profile TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(profile)),
            is_self INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    db.execute("CREATE UNIQUE INDEX persons_self ON persons(account_id) WHERE is_self")


@migrations(name="0002_applications")
def _applications(db):
    """Applications record the person they are for and the account that acted; answers are stored one row per question; a step counts as done once the applicant sent it valid."""
    db.execute("""
        CREATE TABLE applications (
            id TEXT PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
            account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            service_id TEXT NOT NULL,
            service_version INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'draft',
            reference TEXT UNIQUE,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            submitted_at TEXT
        )""")
    db.execute("CREATE INDEX applications_account ON applications(account_id, status)")
    db.execute("""
        CREATE TABLE answers (
            application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
            question_id TEXT NOT NULL,
            raw TEXT NOT NULL CHECK (json_valid(raw)),
            value TEXT CHECK (value IS NULL OR json_valid(value)),
            prefilled INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            PRIMARY KEY (application_id, question_id)
        )""")
    db.execute("""
        CREATE TABLE confirmed_steps (
            application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
            step_id TEXT NOT NULL,
            PRIMARY KEY (application_id, step_id)
        )""")
    db.execute("""
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
            account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
            kind TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    db.execute("CREATE INDEX events_application ON events(application_id, id)")


@migrations(name="0003_files_and_outbox")
def _files_and_outbox(db):
    """Uploaded documents and receipts (bytes on disk, hashes here) and the outbox the back office takes packets from."""
    db.execute("""
        CREATE TABLE files (
            id TEXT PRIMARY KEY,
            application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
            purpose TEXT NOT NULL CHECK (purpose IN ('attachment', 'form')),
            document_id TEXT,
            filename TEXT NOT NULL,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            sha512 TEXT NOT NULL,
            storage_name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    db.execute("CREATE INDEX files_application ON files(application_id, document_id)")
    db.execute("""
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            application_id TEXT NOT NULL REFERENCES applications(id),
            reference TEXT NOT NULL,
            kind TEXT NOT NULL,
            packet TEXT NOT NULL CHECK (json_valid(packet)),
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'leased', 'delivered')),
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_until TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            delivered_at TEXT
        )""")
    db.execute("CREATE INDEX outbox_state ON outbox(state, id)")


@migrations(name="0004_back_channel")
def _back_channel(db):
    """The conversation about a case, assignment, office documents, API tokens, password resets and the audit log."""
    db.execute("ALTER TABLE applications ADD COLUMN assigned_to INTEGER REFERENCES accounts(id)")
    db.execute("ALTER TABLE applications ADD COLUMN attention INTEGER NOT NULL DEFAULT 0")  # the applicant answered or wrote
    db.execute("""
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
            account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
            sender TEXT NOT NULL CHECK (sender IN ('office', 'applicant')),
            kind TEXT NOT NULL CHECK (kind IN ('message', 'request', 'appointment', 'decision')),
            body TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
            reply_to INTEGER REFERENCES messages(id),
            answered_at TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    db.execute("CREATE INDEX messages_application ON messages(application_id, id)")
    # files: office documents ('report', as FIT-Connect calls them) and files attached to a message
    db.execute("""
        CREATE TABLE files_new (
            id TEXT PRIMARY KEY,
            application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
            purpose TEXT NOT NULL CHECK (purpose IN ('attachment', 'form', 'report')),
            document_id TEXT,
            message_id INTEGER REFERENCES messages(id),
            filename TEXT NOT NULL,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            sha512 TEXT NOT NULL,
            storage_name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    db.execute("INSERT INTO files_new (id, application_id, purpose, document_id, filename, content_type, size, sha256, "
               "sha512, storage_name, created_at) SELECT id, application_id, purpose, document_id, filename, content_type, "
               "size, sha256, sha512, storage_name, created_at FROM files")
    db.execute("DROP TABLE files")
    db.execute("ALTER TABLE files_new RENAME TO files")
    db.execute("CREATE INDEX files_application ON files(application_id, document_id)")
    db.execute("CREATE INDEX files_message ON files(message_id)")
    db.execute("""
        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            last_used_at TEXT,
            revoked_at TEXT
        )""")
    db.execute("""
        CREATE TABLE password_resets (
            token_hash TEXT PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            expires_at TEXT NOT NULL,
            used_at TEXT
        )""")
    db.execute("""
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            account_id INTEGER,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            application_id TEXT,
            reference TEXT,
            details TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    # Nothing in the product edits or deletes the audit log; the database refuses it too.
    db.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
    db.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


@migrations(name="0005_feedback")
def _feedback(db):
    """Feedback on accessibility (BITV 2.0 asks for a way to report barriers); it reaches the office's inbox."""
    db.execute("""
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            page TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL,
            locale TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")


@migrations(name="0006_records_and_versions", transactional=False)
def _records_and_versions(db):
    """Frozen records and kept definitions; applications and persons no longer vanish with an account.

    Every service definition that an application was started with is kept by
    the hash of its content; a submitted application's snapshot is append-only.
    The states of an application are checked by the database. SQLite changes
    foreign keys and CHECKs only by rebuilding a table, which needs foreign keys
    off (outside a transaction); the rebuild itself is one transaction.
    """
    db.execute("PRAGMA foreign_keys=OFF")
    try:
        with db.atomic():
            db.execute("""
                CREATE TABLE definitions (
                    hash TEXT PRIMARY KEY,
                    service_id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    data TEXT NOT NULL CHECK (json_valid(data)),
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                )""")
            db.execute("CREATE INDEX definitions_service ON definitions(service_id, version)")
            db.execute("""
                CREATE TABLE persons_new (
                    id INTEGER PRIMARY KEY,
                    account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
                    profile TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(profile)),
                    is_self INTEGER NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                )""")
            db.execute("INSERT INTO persons_new SELECT id, account_id, profile, is_self, created_at, updated_at FROM persons")
            db.execute("DROP TABLE persons")
            db.execute("ALTER TABLE persons_new RENAME TO persons")
            db.execute("CREATE UNIQUE INDEX persons_self ON persons(account_id) WHERE is_self")
            db.execute("""
                CREATE TABLE applications_new (
                    id TEXT PRIMARY KEY,
                    person_id INTEGER NOT NULL REFERENCES persons(id),
                    account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
                    service_id TEXT NOT NULL,
                    service_version INTEGER NOT NULL,
                    definition_hash TEXT REFERENCES definitions(hash),
                    status TEXT NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'submitted', 'received', 'in_review', 'waiting', 'decided', 'closed')),
                    reference TEXT UNIQUE,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                    submitted_at TEXT,
                    assigned_to INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
                    attention INTEGER NOT NULL DEFAULT 0
                )""")
            db.execute("INSERT INTO applications_new (id, person_id, account_id, service_id, service_version, status, reference, "
                       "created_at, updated_at, submitted_at, assigned_to, attention) SELECT id, person_id, account_id, service_id, "
                       "service_version, status, reference, created_at, updated_at, submitted_at, assigned_to, attention "
                       "FROM applications")
            db.execute("DROP TABLE applications")
            db.execute("ALTER TABLE applications_new RENAME TO applications")
            db.execute("CREATE INDEX applications_account ON applications(account_id, status)")
            db.execute("CREATE INDEX applications_person ON applications(person_id)")
            db.execute("""
                CREATE TABLE records (
                    application_id TEXT PRIMARY KEY REFERENCES applications(id),
                    snapshot TEXT NOT NULL CHECK (json_valid(snapshot)),
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                )""")
            db.execute("CREATE TRIGGER records_no_update BEFORE UPDATE ON records "
                       "BEGIN SELECT RAISE(ABORT, 'a submitted application is a legal record'); END")
            db.execute("CREATE TRIGGER records_no_delete BEFORE DELETE ON records "
                       "BEGIN SELECT RAISE(ABORT, 'a submitted application is a legal record'); END")
            problems = db.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")
    finally:
        db.execute("PRAGMA foreign_keys=ON")


@migrations(name="0007_outbox_failures")
def _outbox_failures(db):
    """A packet that keeps failing is set aside as 'failed' after its attempts; each lease carries a token to acknowledge it."""
    db.execute("""
        CREATE TABLE outbox_new (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            application_id TEXT NOT NULL REFERENCES applications(id),
            reference TEXT NOT NULL,
            kind TEXT NOT NULL,
            packet TEXT NOT NULL CHECK (json_valid(packet)),
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'leased', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_until TEXT,
            lease_token TEXT,
            next_attempt_at TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            delivered_at TEXT
        )""")
    db.execute("INSERT INTO outbox_new (id, key, application_id, reference, kind, packet, state, attempts, lease_owner, "
               "lease_until, last_error, created_at, delivered_at) SELECT id, key, application_id, reference, kind, packet, "
               "state, attempts, lease_owner, lease_until, last_error, created_at, delivered_at FROM outbox")
    db.execute("DROP TABLE outbox")
    db.execute("ALTER TABLE outbox_new RENAME TO outbox")
    db.execute("CREATE INDEX outbox_state ON outbox(state, id)")


@migrations(name="0008_account_sessions")
def _account_sessions(db):
    """A session names its account's session generation (logout and a new password end every older session); staff
    accounts can be disabled."""
    db.execute("ALTER TABLE accounts ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE accounts ADD COLUMN disabled_at TEXT")


@migrations(name="0009_confirmed_addresses")
def _confirmed_addresses(db):
    """An applicant's account opens once its e-mail address is confirmed (registration then reveals no account)."""
    db.execute("ALTER TABLE accounts ADD COLUMN confirmed_at TEXT")
    db.execute("UPDATE accounts SET confirmed_at = created_at")


@migrations(name="0010_payments")
def _payments(db):
    """Payments: one row per attempt, keyed by its idempotency key, in XBezahldienste's states; a state leaves
    INITIAL once (the code updates only `WHERE state = 'INITIAL'`)."""
    db.execute("""
        CREATE TABLE payments (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            application_id TEXT NOT NULL REFERENCES applications(id),
            provider TEXT NOT NULL,
            amount TEXT NOT NULL CHECK (CAST(amount AS REAL) >= 0),
            currency TEXT NOT NULL DEFAULT 'EUR',
            purpose TEXT NOT NULL CHECK (length(purpose) <= 27),
            kassenzeichen TEXT UNIQUE,
            state TEXT NOT NULL DEFAULT 'INITIAL' CHECK (state IN ('INITIAL', 'PAYED', 'FAILED', 'CANCELED')),
            transaction_id TEXT,
            transaction_url TEXT,
            redirect_url TEXT,
            method TEXT,
            method_detail TEXT,
            detail TEXT,
            settled_by TEXT,
            paid_at TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    db.execute("CREATE INDEX payments_application ON payments(application_id, id)")
    db.execute("CREATE INDEX payments_open ON payments(created_at) WHERE state = 'INITIAL'")


@migrations(name="0011_person_file")
def _person_file(db):
    """The office's file number and the AZR number of a person, once confirmed by the office or its specialist
    system (later applications carry them), and the caseworker's decisions on cases that may be the same person."""
    db.execute("ALTER TABLE persons ADD COLUMN file_number TEXT")
    db.execute("ALTER TABLE persons ADD COLUMN azr_number TEXT")
    db.execute("ALTER TABLE persons ADD COLUMN file_confirmed_at TEXT")
    db.execute("ALTER TABLE persons ADD COLUMN file_confirmed_by TEXT")
    db.execute("CREATE INDEX persons_file_number ON persons(file_number) WHERE file_number IS NOT NULL")
    db.execute("CREATE INDEX persons_azr_number ON persons(azr_number) WHERE azr_number IS NOT NULL")
    db.execute("""
        CREATE TABLE same_person (
            application_id TEXT NOT NULL REFERENCES applications(id),
            other_id TEXT NOT NULL REFERENCES applications(id),
            same INTEGER NOT NULL CHECK (same IN (0, 1)),
            decided_by TEXT NOT NULL,
            decided_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            PRIMARY KEY (application_id, other_id)
        )""")


@migrations(name="0012_representation")
def _representation(db):
    """Organisations that act for clients (law firms, associations, counselling services, employers), their members,
    the clients they act for (persons of the organisation), who is assigned to whom, and the mandates they act under
    (power of attorney or supporter, with scope, services, validity, the signed document and its revocation)."""
    db.execute("""
        CREATE TABLE organisations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('law_firm', 'welfare_association', 'counselling_service', 'employer')),
            address TEXT NOT NULL DEFAULT '',
            review_required INTEGER NOT NULL DEFAULT 0,
            verified_at TEXT,
            verified_by TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    db.execute("""
        CREATE TABLE members (
            id INTEGER PRIMARY KEY,
            organisation_id INTEGER NOT NULL REFERENCES organisations(id),
            account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'counselor', 'assistant')),
            joined_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            left_at TEXT
        )""")
    db.execute("CREATE UNIQUE INDEX members_active ON members(account_id) WHERE left_at IS NULL")
    db.execute("ALTER TABLE persons ADD COLUMN organisation_id INTEGER REFERENCES organisations(id)")
    db.execute("ALTER TABLE persons ADD COLUMN client_number TEXT")
    db.execute("CREATE UNIQUE INDEX persons_client_number ON persons(organisation_id, client_number) WHERE organisation_id IS NOT NULL")
    db.execute("""
        CREATE TABLE assignments (
            person_id INTEGER NOT NULL REFERENCES persons(id),
            member_id INTEGER NOT NULL REFERENCES members(id),
            PRIMARY KEY (person_id, member_id)
        )""")
    db.execute("""
        CREATE TABLE mandates (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES persons(id),
            organisation_id INTEGER NOT NULL REFERENCES organisations(id),
            member_id INTEGER NOT NULL REFERENCES members(id),
            kind TEXT NOT NULL CHECK (kind IN ('power_of_attorney', 'supporter')),
            scope TEXT NOT NULL CHECK (json_valid(scope)),
            services TEXT CHECK (services IS NULL OR json_valid(services)),
            document_name TEXT,
            document_sha256 TEXT,
            document_storage TEXT,
            valid_from TEXT NOT NULL,
            valid_until TEXT,
            filed_at TEXT,
            revoked_at TEXT,
            revoked_by TEXT,
            revocation_received_at TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    db.execute("CREATE INDEX mandates_person ON mandates(person_id)")
    db.execute("ALTER TABLE persons ADD COLUMN linked_account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL")
    db.execute("""
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
            state TEXT NOT NULL,
            language TEXT NOT NULL,
            created_by INTEGER REFERENCES members(id),
            expires_at TEXT NOT NULL,
            answered_at TEXT,
            decision TEXT CHECK (decision IN ('confirmed', 'changes')),
            comment TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    db.execute("""
        CREATE TABLE link_codes (
            code_hash TEXT PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            expires_at TEXT NOT NULL,
            used_at TEXT
        )""")


@migrations(name="0013_joining_codes")
def _joining_codes(db):
    """A one-time code says what it is for: linking an applicant's account to a client (`client`), or adding the
    account that made it as a member of an organisation (`member`), so that no account is made a member without its
    consent."""
    db.execute("ALTER TABLE link_codes ADD COLUMN purpose TEXT NOT NULL DEFAULT 'client' "
               "CHECK (purpose IN ('client', 'member'))")


@migrations(name="0014_receipts_to_draw")
def _receipts_to_draw(db):
    """Submitted applications whose receipt and packet are still to be drawn. The submit's transaction writes the row
    and the transaction that stores the receipt and the packet deletes it, so each submission gets exactly one of each,
    also when a process dies in between (the next sweep draws them)."""
    db.execute("""
        CREATE TABLE receipts_to_draw (
            application_id TEXT PRIMARY KEY REFERENCES applications(id),
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
