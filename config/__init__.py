"""Settings from environment variables, per environment (development, test, production)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

ENVIRONMENTS = ("development", "test", "production")
SCHEDULER_MODES = ("embedded", "celery", "off")
NOTIFY_MODES = ("development", "smtp")
DOCUMENT_STORES = ("folder", "s3")


@dataclass(frozen=True)
class OfficeContact:
    """Where applicants bring documents and whom they call: on receipts and the status page."""

    name_zh: str = "示範戶政事務所"
    name_en: str = "Demo Household Registration Office"
    address_zh: str = "臺北市大安區示範路 1 號 1 樓"
    address_en: str = "1F, No. 1, Shifan Rd., Da'an Dist., Taipei City"
    phone: str = "(02) 2700-1234"
    hours_zh: str = "週一至週五 08:00–17:00（中午不休息）"
    hours_en: str = "Monday to Friday, 08:00–17:00 (open at noon)"


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    database_url: str = "sqlite:///instance/onestop.db"
    # Scripts in BPMN are stopped after this long (a runaway loop must not hang a worker).
    script_timeout_seconds: float = 1.0
    # Automatic steps (scripts, gateways, events) one command may run before it is stopped as a
    # loop without a wait state, with an incident (engine.workflow.failures).
    step_limit: int = 500
    # Address space a server or Celery worker process may use, in MB (0: no cap): the backstop
    # behind the sandbox's size guards, so one script cannot take the machine's memory.
    memory_limit_mb: int = 4096
    # Case numbers and working days follow the office's local time.
    timezone: str = "Asia/Taipei"
    bpmn_folder: str = "bpmn"
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = 2  # per server worker (config/gunicorn.conf.py)
    # Who fires due timers: a thread in the server process (embedded), Celery workers and beat
    # (celery), or nobody (off). None: embedded, except in tests, which start their own.
    scheduler: str | None = None
    scheduler_poll_seconds: float = 0.5
    # Work done by one process at a time (the embedded scheduler, the active Celery beat) is held
    # by a lease in the database for this long; a standby takes over once its holder stops renewing.
    lease_seconds: float = 15.0
    broker_url: str = "redis://127.0.0.1:6379/0"
    # Notifications: delivered into the development mailbox (shown by the API) or by SMTP.
    notify: str | None = None
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_sender: str = "onestop@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # "module:function" returning a callable send_text(phone, text) for the SMS provider.
    sms_adapter: str | None = None
    supervisor_emails: tuple[str, ...] = ("supervisor@localhost",)
    # workflows.agencies.AgencySettings: where the other agencies' gateways are; None: from the
    # ONESTOP_AGENCY_* environment variables (see workflows/agencies/settings.py).
    agencies: object | None = None
    # How long a worker holds a service job before another may take it over (longer than any
    # agency call can take: its timeout).
    service_job_lease_seconds: float = 60.0
    # Where applicants find the app (links in receipts sent by email and SMS).
    public_url: str = "http://127.0.0.1:8000"
    # The bytes of files attached to cases: a local folder, or an S3-compatible bucket (boto3;
    # credentials from the AWS_* environment variables or the instance's role).
    document_store: str = "folder"
    document_folder: str = "instance/documents"
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    max_document_mb: float = 10.0
    # The office's groups (BPMN lanes): a deploy refuses a task in a lane no group works. None: the
    # domain pack's groups. The groups users are given count too.
    groups: tuple[str, ...] | None = None
    # The group that works user, manual and untyped tasks drawn in no lane. None: a deploy needs
    # every such task in a lane (with an automatic fix the designer can accept).
    default_group: str | None = None
    office: OfficeContact = OfficeContact()
    # How many reverse proxies stand in front of the server and set X-Forwarded-For/-Proto/-Host
    # (werkzeug's ProxyFix trusts that many hops): 0 trusts none, as when clients connect directly.
    trusted_proxies: int = 0
    # Where login throttles count (Flask-Limiter storage URI); None: in memory in embedded mode,
    # the Redis broker in distributed (celery) mode, so every server process counts the same.
    ratelimit_storage: str | None = None
    # Failed sign-ins allowed per username and per client address; the tiers back off: a few a
    # minute, more an hour, a ceiling a day (Flask-Limiter notation).
    login_limits_per_user: str = "5 per minute; 20 per hour; 100 per day"
    login_limits_per_address: str = "20 per minute; 100 per hour; 500 per day"
    # scrypt's CPU/memory cost for new password hashes: 2**17 with r=8, p=1 is OWASP's guidance
    # (128 MiB, about a third of a second). Older, cheaper hashes are upgraded at the next sign-in.
    scrypt_cost: int = 2**17
    # Case and task data (and message payloads): limits checked before SpiffWorkflow sees them.
    data_max_bytes: int = 256 * 1024  # the data as compact JSON
    data_max_string: int = 20_000  # characters in one string
    data_max_depth: int = 20  # objects and arrays within each other

    @property
    def ratelimit_storage_uri(self) -> str:
        if self.ratelimit_storage:
            return self.ratelimit_storage
        return self.broker_url if self.scheduler_mode == "celery" else "memory://"

    @property
    def scheduler_mode(self) -> str:
        return self.scheduler or ("off" if self.environment == "test" else "embedded")

    @property
    def notify_mode(self) -> str:
        return self.notify or ("smtp" if self.environment == "production" else "development")

    def with_overrides(self, **overrides) -> Settings:
        return replace(self, **overrides)


def load_settings(environ: dict | None = None) -> Settings:
    env = environ if environ is not None else os.environ
    environment = env.get("ONESTOP_ENV", "development")
    if environment not in ENVIRONMENTS:
        raise ValueError(f"ONESTOP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}")
    default_db = "sqlite:///instance/onestop-test.db" if environment == "test" else Settings.database_url
    return Settings(
        environment=environment,
        database_url=env.get("ONESTOP_DATABASE_URL", default_db),
        script_timeout_seconds=float(env.get("ONESTOP_SCRIPT_TIMEOUT", Settings.script_timeout_seconds)),
        step_limit=int(env.get("ONESTOP_STEP_LIMIT", Settings.step_limit)),
        memory_limit_mb=int(env.get("ONESTOP_MEMORY_LIMIT_MB", Settings.memory_limit_mb)),
        timezone=env.get("ONESTOP_TIMEZONE", Settings.timezone),
        bpmn_folder=env.get("ONESTOP_BPMN_FOLDER", Settings.bpmn_folder),
        host=env.get("ONESTOP_HOST", Settings.host),
        port=int(env.get("ONESTOP_PORT", Settings.port)),
        threads=int(env.get("ONESTOP_THREADS", Settings.threads)),
        scheduler=_choice(env, "ONESTOP_SCHEDULER", SCHEDULER_MODES),
        scheduler_poll_seconds=float(env.get("ONESTOP_SCHEDULER_POLL_SECONDS", Settings.scheduler_poll_seconds)),
        lease_seconds=float(env.get("ONESTOP_LEASE_SECONDS", Settings.lease_seconds)),
        broker_url=env.get("ONESTOP_BROKER_URL", Settings.broker_url),
        notify=_choice(env, "ONESTOP_NOTIFY", NOTIFY_MODES),
        smtp_host=env.get("ONESTOP_SMTP_HOST", Settings.smtp_host),
        smtp_port=int(env.get("ONESTOP_SMTP_PORT", Settings.smtp_port)),
        smtp_sender=env.get("ONESTOP_SMTP_SENDER", Settings.smtp_sender),
        smtp_username=env.get("ONESTOP_SMTP_USERNAME") or None,
        smtp_password=env.get("ONESTOP_SMTP_PASSWORD") or None,
        smtp_starttls=env.get("ONESTOP_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        sms_adapter=env.get("ONESTOP_SMS_ADAPTER") or None,
        service_job_lease_seconds=float(
            env.get("ONESTOP_SERVICE_JOB_LEASE_SECONDS", Settings.service_job_lease_seconds)
        ),
        public_url=env.get("ONESTOP_PUBLIC_URL", Settings.public_url),
        document_store=_choice(env, "ONESTOP_DOCUMENT_STORE", DOCUMENT_STORES) or Settings.document_store,
        document_folder=env.get("ONESTOP_DOCUMENT_FOLDER", Settings.document_folder),
        s3_bucket=env.get("ONESTOP_S3_BUCKET") or None,
        s3_prefix=env.get("ONESTOP_S3_PREFIX", ""),
        s3_endpoint_url=env.get("ONESTOP_S3_ENDPOINT_URL") or None,
        s3_region=env.get("ONESTOP_S3_REGION") or None,
        max_document_mb=float(env.get("ONESTOP_MAX_DOCUMENT_MB", Settings.max_document_mb)),
        groups=_names(env.get("ONESTOP_GROUPS")),
        default_group=(env.get("ONESTOP_DEFAULT_GROUP") or "").strip() or None,
        office=_office(env),
        trusted_proxies=int(env.get("ONESTOP_TRUSTED_PROXIES", Settings.trusted_proxies)),
        ratelimit_storage=env.get("ONESTOP_RATELIMIT_STORAGE") or None,
        login_limits_per_user=env.get("ONESTOP_LOGIN_LIMITS_PER_USER", Settings.login_limits_per_user),
        login_limits_per_address=env.get("ONESTOP_LOGIN_LIMITS_PER_ADDRESS", Settings.login_limits_per_address),
        # Tests hash many passwords: their environment defaults to scrypt's former cost (2**14).
        scrypt_cost=int(env.get("ONESTOP_SCRYPT_COST", 2**14 if environment == "test" else Settings.scrypt_cost)),
        data_max_bytes=int(env.get("ONESTOP_DATA_MAX_BYTES", Settings.data_max_bytes)),
        data_max_string=int(env.get("ONESTOP_DATA_MAX_STRING", Settings.data_max_string)),
        data_max_depth=int(env.get("ONESTOP_DATA_MAX_DEPTH", Settings.data_max_depth)),
        supervisor_emails=tuple(
            a.strip()
            for a in env.get("ONESTOP_SUPERVISOR_EMAILS", ",".join(Settings.supervisor_emails)).split(",")
            if a.strip()
        ),
    )


def _names(value: str | None) -> tuple[str, ...] | None:
    """A comma-separated list (None when not set)."""
    if value is None or not value.strip():
        return None
    return tuple(name.strip() for name in value.split(",") if name.strip())


def _choice(env, name: str, allowed: tuple[str, ...]) -> str | None:
    value = env.get(name) or None
    if value is not None and value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _office(env) -> OfficeContact:
    """ONESTOP_OFFICE_NAME_ZH, ..._NAME_EN, ..._ADDRESS_ZH, ..._ADDRESS_EN, ..._PHONE, ..._HOURS_ZH,
    ..._HOURS_EN; each defaults to the demo office's."""
    defaults = OfficeContact()
    return OfficeContact(
        **{name: env.get(f"ONESTOP_OFFICE_{name.upper()}") or getattr(defaults, name) for name in defaults.__dict__}
    )
