"""Configuration from environment variables, each with a documented default (see README)."""
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bool(name, default):
    """Read a yes/no setting from the environment."""
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


def _secret(name, default=""):
    """A credential from ASSISTANT_<name>, or read from the file named by ASSISTANT_<name>_FILE (container secrets)."""
    path = os.environ.get(f"ASSISTANT_{name}_FILE")
    return Path(path).read_text().strip() if path else os.environ.get(f"ASSISTANT_{name}", default)


# `make run ASSISTANT_PAYMENT_PROVIDER=fake-xbezahldienste` (or fake-girocheckout) starts a local stand-in of the
# platform (tests/fakes) and the app talks to it with these settings; never in production.
FAKES = {
    "fake-xbezahldienste": {"PAYMENT_PROVIDER": "xbezahldienste", "PAYMENT_BASE_URL": "http://127.0.0.1:5081",
                            "PAYMENT_AUTH": "oauth2", "PAYMENT_TOKEN_URL": "http://127.0.0.1:5081/token",
                            "PAYMENT_CLIENT_ID": "demo", "PAYMENT_CLIENT_SECRET": "demo",
                            "PAYMENT_ORIGINATOR_ID": "demo-originator", "PAYMENT_ENDPOINT_ID": "demo-endpoint"},
    "fake-girocheckout": {"PAYMENT_PROVIDER": "girocheckout", "PAYMENT_BASE_URL": "http://127.0.0.1:5082",
                          "GIROCHECKOUT_MERCHANT_ID": "1234567", "GIROCHECKOUT_PROJECT_ID": "1234",
                          "GIROCHECKOUT_PROJECT_PASSWORD": "demo"},
}


def payment_settings(env_name):
    """The payment platform's settings (docs/payments.md): which one, where, and its credentials."""
    env = os.environ.get
    settings = {
        "PAYMENT_PROVIDER": env("ASSISTANT_PAYMENT_PROVIDER", ""),   # xbezahldienste, girocheckout, or empty: invoice only
        "PAYMENT_BASE_URL": env("ASSISTANT_PAYMENT_BASE_URL", ""),
        "PAYMENT_ORIGINATOR_ID": env("ASSISTANT_PAYMENT_ORIGINATOR_ID", ""),
        "PAYMENT_ENDPOINT_ID": env("ASSISTANT_PAYMENT_ENDPOINT_ID", ""),
        "PAYMENT_AUTH": env("ASSISTANT_PAYMENT_AUTH", "oauth2"),
        "PAYMENT_TOKEN_URL": env("ASSISTANT_PAYMENT_TOKEN_URL", ""),
        "PAYMENT_CLIENT_ID": env("ASSISTANT_PAYMENT_CLIENT_ID", ""),
        "PAYMENT_CLIENT_SECRET": _secret("PAYMENT_CLIENT_SECRET"),
        "PAYMENT_USERNAME": env("ASSISTANT_PAYMENT_USERNAME", ""),
        "PAYMENT_PASSWORD": _secret("PAYMENT_PASSWORD"),
        "PAYMENT_CLIENT_CERT": env("ASSISTANT_PAYMENT_CLIENT_CERT", ""),
        "PAYMENT_CLIENT_KEY": env("ASSISTANT_PAYMENT_CLIENT_KEY", ""),
        "PAYMENT_CA_FILE": env("ASSISTANT_PAYMENT_CA_FILE", ""),
        "PAYMENT_TIMEOUT": float(env("ASSISTANT_PAYMENT_TIMEOUT", 10)),
        "GIROCHECKOUT_MERCHANT_ID": env("ASSISTANT_GIROCHECKOUT_MERCHANT_ID", ""),
        "GIROCHECKOUT_PROJECT_ID": env("ASSISTANT_GIROCHECKOUT_PROJECT_ID", ""),
        "GIROCHECKOUT_PROJECT_PASSWORD": _secret("GIROCHECKOUT_PROJECT_PASSWORD"),
        "PAYMENT_RECONCILE_AFTER": int(env("ASSISTANT_PAYMENT_RECONCILE_AFTER", 5)),     # minutes
        "PAYMENT_EXPIRES_AFTER": int(env("ASSISTANT_PAYMENT_EXPIRES_AFTER", 24 * 60)),  # minutes
        "KASSENZEICHEN_PREFIX": env("ASSISTANT_KASSENZEICHEN_PREFIX", "5100"),
        "OFFICE_ACCOUNT_HOLDER": env("ASSISTANT_OFFICE_ACCOUNT_HOLDER", "Stadtkasse Musterstadt"),
        "OFFICE_IBAN": env("ASSISTANT_OFFICE_IBAN", "DE02120300000000202051"),
        "OFFICE_BIC": env("ASSISTANT_OFFICE_BIC", "BYLADEM1001"),
    }
    fake = FAKES.get(settings["PAYMENT_PROVIDER"])
    if fake and env_name == "production":
        raise RuntimeError("a fake payment platform is for development only")
    return settings | (fake or {})


def from_environment(instance_path):
    """Build the settings from ASSISTANT_* variables; the README lists them all."""
    env = os.environ.get("ASSISTANT_ENV", "development")
    return {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("ASSISTANT_SECRET_KEY"),
        "DATABASE": os.environ.get("ASSISTANT_DATABASE", str(Path(instance_path) / "assistant.sqlite")),
        "FORMS_DIR": os.environ.get("ASSISTANT_FORMS_DIR", str(ROOT / "forms")),
        "STATIC_DIR": str(ROOT / "static"),
        "OFFICE_NAME": os.environ.get("ASSISTANT_OFFICE_NAME", "Ausländerbehörde Musterstadt"),
        "OFFICE_ADDRESS": os.environ.get("ASSISTANT_OFFICE_ADDRESS", "Musterstraße 1, 12345 Musterstadt"),
        "OFFICE_EMAIL": os.environ.get("ASSISTANT_OFFICE_EMAIL", "auslaenderbehoerde@musterstadt.example"),
        "OFFICE_PHONE": os.environ.get("ASSISTANT_OFFICE_PHONE", "+49 30 1234567"),
        "APPOINTMENT_URL": os.environ.get("ASSISTANT_APPOINTMENT_URL", ""),
        "FILE_NUMBER_PATTERN": os.environ.get("ASSISTANT_FILE_NUMBER_PATTERN", r"[0-9A-Z]{1,6}[ ./-]?[0-9]{1,10}([ ./-][0-9A-Z]{1,10})?"),
        "FILE_NUMBER_EXAMPLE": os.environ.get("ASSISTANT_FILE_NUMBER_EXAMPLE", "ABH 123456/24"),
        "FILES_DIR": os.environ.get("ASSISTANT_FILES_DIR", str(Path(instance_path) / "files")),
        "MAX_FILE_BYTES": int(os.environ.get("ASSISTANT_MAX_FILE_BYTES", 10 * 1024 * 1024)),
        "RATELIMIT_STORAGE": os.environ.get("ASSISTANT_RATELIMIT_STORAGE", "memory://"),
        "PROXY_HOPS": int(os.environ.get("ASSISTANT_PROXY_HOPS", 0)),
        "MEMBER_IDLE_MINUTES": int(os.environ.get("ASSISTANT_MEMBER_IDLE_MINUTES", 15)),
        "OUTBOX_MAX_ATTEMPTS": int(os.environ.get("ASSISTANT_OUTBOX_MAX_ATTEMPTS", 8)),
        "RECEIPT_DRAWING": os.environ.get("ASSISTANT_RECEIPT_DRAWING", "in-request"),
        "ARABIC_DIGITS": os.environ.get("ASSISTANT_ARABIC_DIGITS", "arab"),  # or latn: 0-9 in Arabic texts too
        "ACCESSIBILITY_STATEMENT": os.environ.get("ASSISTANT_ACCESSIBILITY_STATEMENT", ""),
        "BASE_URL": os.environ.get("ASSISTANT_BASE_URL", "http://127.0.0.1:5000"),
        "SMTP_HOST": os.environ.get("ASSISTANT_SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("ASSISTANT_SMTP_PORT", 25)),
        "SMTP_STARTTLS": _bool("ASSISTANT_SMTP_STARTTLS", False),
        "SMTP_USER": os.environ.get("ASSISTANT_SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("ASSISTANT_SMTP_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("ASSISTANT_MAIL_FROM", "noreply@musterstadt.example"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("ASSISTANT_MAX_REQUEST_BYTES", 64 * 1024)),
        "SESSION_COOKIE_SECURE": _bool("ASSISTANT_SECURE_COOKIES", env == "production"),
        "REMEMBER_COOKIE_SECURE": _bool("ASSISTANT_SECURE_COOKIES", env == "production"),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "locales"),
    } | payment_settings(env)


MIN_SECRET_LENGTH = 32


def ensure_secret_key(app):
    """Keep a generated key in the instance folder in development; refuse to run production without a strong one."""
    key = app.config.get("SECRET_KEY")
    if app.config["ENV_NAME"] == "production" and (not key or len(key) < MIN_SECRET_LENGTH or len(set(key)) < 10):
        raise RuntimeError(f"ASSISTANT_SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH} characters "
                           "when ASSISTANT_ENV=production (for example: python3 -c 'import secrets; print(secrets.token_hex(32))')")
    if key:
        return
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    app.config["SECRET_KEY"] = path.read_text().strip()
