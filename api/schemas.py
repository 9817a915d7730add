"""Marshmallow schemas: the request and response shapes the OpenAPI document is built from."""

from __future__ import annotations

from datetime import timezone

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

RAISE_ON_UNKNOWN = {"unknown": "raise"}


# ---------------------------------------------------------------- input that can be stored
def unstorable(text: str) -> str | None:
    """Why a string cannot be stored as text, or None. PostgreSQL refuses NUL characters, and a
    lone surrogate (a JSON escape such as "\\ud800") is not Unicode text at all."""
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (no lone surrogates)"
    return None


def storable_json(value) -> None:
    """Validator for free-form JSON (case data, message payloads): every key and string storable.
    Walked without recursion: how deep the value may be is the engine's limit to say (by field)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            problem = unstorable(item)
            if problem:
                raise ValidationError(problem)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


class Text(fields.String):
    """A string input field that refuses what no database column can hold."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = unstorable(text)
        if problem:
            raise ValidationError(problem)
        return text


FIRST_YEAR, LAST_YEAR = 1900, 2999


def within_years(value) -> None:
    """Validator for dates and date-times (with or without offset) a computation can work with:
    near the years 1 and 9999, converting to UTC or adding a working day overflows."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 date-time with its offset (RFC 3339), converted to UTC. A date-time without
    an offset is ambiguous and refused; one that UTC cannot represent is refused too."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(timezone.utc)
        except (OverflowError, ValueError) as error:
            raise ValidationError("is out of range") from error


class StrictSchema(Schema):
    """Request bodies reject unknown fields, so a typo is an error and not silently ignored."""

    class Meta:
        unknown = "raise"


class FieldErrorSchema(Schema):
    field = fields.String()
    message = fields.String()
    file = fields.String(metadata={"description": "the uploaded file the message is about"})
    code = fields.String(metadata={"description": "why, as a code (e.g. not_accepted_type, too_large)"})
    keyword = fields.String(metadata={"description": "for form data: the JSON Schema keyword that failed"})
    property = fields.String(allow_none=True, metadata={"description": "for keyword 'required': the missing field"})
    limit = fields.Raw(metadata={"description": "for a length, size or range keyword: its limit"})
    format = fields.String(metadata={"description": "for keyword 'format': the format"})


class FindingSchema(Schema):
    kind = fields.String(allow_none=True, metadata={"description": "the finding's kind (docs/designer.md lists them)"})
    severity = fields.String(
        validate=validate.OneOf(["error", "fixable", "warning", "note"]),
        metadata={
            "description": "error: cannot run as drawn; fixable: cannot run as drawn, and an automatic fix "
            "exists (see fix); warning: runs, probably not as meant; note: for information"
        },
    )
    scope = fields.String(
        validate=validate.OneOf(["element", "file", "bundle"]),
        metadata={"description": "what the finding is about: one element, a whole file, or the whole bundle"},
    )
    element_id = fields.String(allow_none=True)
    element_type = fields.String(allow_none=True)
    element_name = fields.String(allow_none=True)
    file = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    message = fields.String(metadata={"description": "in English (messages holds both languages)"})
    messages = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata={"description": "the message by language: en, zh-TW"}
    )
    fix = fields.String(allow_none=True, metadata={"description": "for a fixable finding: the fix that resolves it"})


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(FieldErrorSchema))
    findings = fields.List(fields.Nested(FindingSchema))
    context = fields.Dict()


class PageArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    after = Text(
        validate=validate.Length(max=500),
        metadata={
            "description": "the `next` of the page before: the page that follows it (then `page` is not used). "
            "Paging by `after` costs the same on every page; `page` costs more the further it goes."
        },
    )


# ---------------------------------------------------------------- auth
class LoginSchema(StrictSchema):
    username = Text(required=True, validate=validate.Length(min=1, max=100))
    password = Text(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class UserSchema(Schema):
    username = fields.String()
    display_name = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    groups = fields.List(fields.String())


class TokenSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime(allow_none=True)
    user = fields.Nested(UserSchema)


# ---------------------------------------------------------------- definitions
class DefinitionVersionSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String(allow_none=True)
    content_hash = fields.String()
    deployed_at = fields.DateTime()
    deployed_by = fields.String(allow_none=True)
    draft = fields.Boolean(metadata={"description": "stored and downloadable, but no case starts on it"})
    main_file = fields.String(allow_none=True, metadata={"description": "the .bpmn file of the main process"})
    files = fields.List(fields.String())
    findings = fields.List(fields.Nested(FindingSchema))


class ClaimableTaskSchema(Schema):
    element_id = fields.String()
    name = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    groups = fields.List(fields.String(), metadata={"description": "the groups that can claim it (none: nobody)"})


class RehearsalSchema(Schema):
    started = fields.Boolean(metadata={"description": "a case could be started (in memory)"})
    completed = fields.Boolean(metadata={"description": "it ran to its end without anybody's work"})
    waiting = fields.List(fields.Nested(ClaimableTaskSchema), metadata={"description": "where a new case waits"})
    tasks = fields.List(
        fields.Nested(ClaimableTaskSchema), metadata={"description": "every user, manual and untyped task"}
    )
    claimable = fields.Boolean(metadata={"description": "every task can be claimed by some group"})
    stopped = fields.Dict(allow_none=True, metadata={"description": "the element the start failed at, if it did"})


class OfferSchema(Schema):
    fix = fields.String(metadata={"description": "pass it as ?fix= to /api/definitions/validate"})
    title = fields.Dict(keys=fields.String(), values=fields.String())
    elements = fields.List(fields.String(), metadata={"description": "the elements whose findings it resolves"})
    choices = fields.List(
        fields.Dict(), metadata={"description": "value and label of what the designer chooses (lane, process)"}
    )


class DeployResultSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    created = fields.Boolean()
    verdict = fields.String(validate=validate.OneOf(["executable", "draft", "rejected"]))
    draft = fields.Boolean(metadata={"description": "stored and downloadable, but no case starts on it"})
    findings = fields.List(fields.Nested(FindingSchema))
    rehearsal = fields.Nested(RehearsalSchema, allow_none=True)


class ValidationResultSchema(Schema):
    ok = fields.Boolean()
    verdict = fields.String(
        validate=validate.OneOf(["executable", "draft", "rejected"]),
        metadata={"description": "executable; draft (would be stored, not startable); rejected (nothing stored)"},
    )
    main_process_id = fields.String(allow_none=True)
    findings = fields.List(fields.Nested(FindingSchema))
    offers = fields.List(
        fields.Nested(OfferSchema),
        metadata={"description": "automatic fixes for the fixable findings, offered after all of them"},
    )
    rehearsal = fields.Nested(RehearsalSchema, allow_none=True, metadata={"description": "for an executable upload"})
    storable_as_draft = fields.Boolean(
        metadata={"description": "a rejected upload can still be imported as a draft (as_draft) to fix in the modeller"}
    )


class DefinitionSummarySchema(Schema):
    key = fields.String()
    name = fields.String(allow_none=True)
    latest_version = fields.Integer()
    versions = fields.Integer()
    standard_time = fields.Dict(allow_none=True)


class DefinitionDetailSchema(Schema):
    key = fields.String()
    name = fields.String(allow_none=True)
    standard_time = fields.Dict(allow_none=True)
    versions = fields.List(fields.Nested(DefinitionVersionSchema))


class BpmnFileArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    file = Text(validate=validate.Length(max=300))


# ---------------------------------------------------------------- cases
CHANNELS = ["counter", "online", "home_visit"]


class ApplicantSchema(StrictSchema):
    name = Text(validate=validate.Length(max=100))
    national_id = Text(validate=validate.Regexp(r"^[A-Z][12890ABCD]\d{8}$"))
    phone = Text(validate=validate.Length(max=30))
    email = fields.Email()
    address = fields.Dict(validate=storable_json)


class StartCaseSchema(StrictSchema):
    procedure = Text(required=True, validate=validate.Length(min=1, max=200))
    data = fields.Dict(load_default=dict, validate=storable_json)
    channel = Text(load_default="counter", validate=validate.OneOf(CHANNELS))
    applicant = fields.Nested(ApplicantSchema, allow_none=True, load_default=None)
    office = Text(
        validate=validate.Length(min=1, max=12),
        metadata={"description": "the office receiving the case (default: the caller's, if they work for one)"},
    )
    competent_office = Text(
        validate=validate.Length(min=1, max=12),
        metadata={
            "description": "跨區通辦: the office competent for the case, when another; the case goes "
            "there as it starts (if its procedure may be received anywhere)"
        },
    )


class OpenTaskSchema(Schema):
    id = fields.String()
    element_id = fields.String()
    name = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)


class PersonSchema(Schema):
    """A member of staff as others read them: the responsible officer, an assignee."""

    username = fields.String()
    name = fields.String(metadata={"description": "the display name, else the username"})
    phone = fields.String(allow_none=True, metadata={"description": "a direct line, where the user has one"})


class BilingualSchema(Schema):
    zh = fields.String()
    en = fields.String()


class OfficeSchema(Schema):
    """Where to bring documents and whom to call."""

    name = fields.Nested(BilingualSchema)
    address = fields.Nested(BilingualSchema)
    hours = fields.Nested(BilingualSchema)
    phone = fields.String()


class ReceiptSchema(Schema):
    case_number = fields.String()
    access_code = fields.String()
    procedure = fields.String()
    procedure_name = fields.String(allow_none=True)
    channel = fields.String()
    received_at = fields.DateTime()
    received = fields.Dict(metadata={"description": "what was received (personal numbers masked)"})
    standard_time = fields.Dict(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    officer = fields.Nested(PersonSchema, allow_none=True, metadata={"description": "承辦人: who is responsible"})
    office = fields.Nested(OfficeSchema)


class StartedCaseSchema(Schema):
    case_id = fields.String()
    number = fields.String()
    access_code = fields.String()
    version = fields.Integer()
    existing = fields.Boolean()
    open_tasks = fields.List(fields.Nested(OpenTaskSchema))
    receipt = fields.Nested(ReceiptSchema)


SORTS = ["-received_at", "received_at", "due_at", "-due_at"]


class CaseSearchArgsSchema(PageArgsSchema):
    q = Text(
        validate=validate.Length(max=100),
        metadata={
            "description": "a case number, a national ID number (exact), a phone number, or the "
            "beginning of the applicant's name: whichever it looks like"
        },
    )
    number = Text(validate=validate.Length(max=20))
    national_id = Text(validate=validate.Length(max=20), metadata={"description": "exact; never shown in results"})
    name = Text(validate=validate.Length(max=100), metadata={"description": "the beginning of the applicant's name"})
    phone = Text(validate=validate.Length(max=30))
    procedure = Text(validate=validate.Length(max=200))
    status = Text(validate=validate.OneOf(["running", "completed", "cancelled"]))
    channel = Text(validate=validate.OneOf(CHANNELS))
    officer = Text(validate=validate.Length(max=100), metadata={"description": "a username, or 'me'"})
    office = Text(validate=validate.Length(max=12), metadata={"description": "the office working the cases"})
    overdue = fields.Boolean(metadata={"description": "only open cases past their due date"})
    received_from = UtcDateTime()
    received_to = UtcDateTime()
    sort = Text(load_default="-received_at", validate=validate.OneOf(SORTS))


class CaseSummarySchema(Schema):
    id = fields.String()
    number = fields.String()
    procedure = fields.String()
    version = fields.Integer()
    status = fields.String()
    channel = fields.String()
    applicant = fields.Dict(allow_none=True)
    received_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    served_at = fields.DateTime(
        allow_none=True, metadata={"description": "when the service was delivered (the SLA clock stopped there)"}
    )
    close_kind = fields.String(allow_none=True, metadata={"description": "withdrawn or cancelled"})
    sla_state = fields.String()
    officer = fields.Nested(PersonSchema, allow_none=True)
    office = fields.String(allow_none=True, metadata={"description": "the office working the case"})
    received_office = fields.String(
        allow_none=True, metadata={"description": "the office that received it (another after a transfer)"}
    )


class PageSchema(Schema):
    """One page of a list; subclasses add ``items``."""

    total = fields.Integer(metadata={"description": "the matches, counted up to 10,000 (see `total_exact`)"})
    total_exact = fields.Boolean(metadata={"description": "false when there are more matches than `total`"})
    page = fields.Integer()
    per_page = fields.Integer()
    next = fields.String(
        allow_none=True, metadata={"description": "give it as `after` for the next page; null on the last page"}
    )


class CaseFoundSchema(CaseSummarySchema):
    current_steps = fields.List(
        fields.Nested(lambda: StepNowSchema()), metadata={"description": "the open tasks, oldest first"}
    )
    awaiting_documents = fields.Boolean(metadata={"description": "the SLA clock is paused for the applicant"})


class StepNowSchema(Schema):
    task_id = fields.String()
    element_id = fields.String()
    name = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)


class CaseSearchPageSchema(PageSchema):
    items = fields.List(fields.Nested(CaseFoundSchema))


class StepSchema(Schema):
    element_id = fields.String()
    name = fields.String(allow_none=True)
    element_type = fields.String()
    finished_at = fields.Float(allow_none=True)


class DocumentsNoticeSchema(Schema):
    """The one-time notice (一次告知) as the case stands: what is missing and by when."""

    missing = fields.List(fields.String(), metadata={"description": "document codes still missing"})
    presented = fields.List(fields.String())
    deadline = fields.String(allow_none=True, metadata={"description": "ISO date-time to supply them by"})
    rounds = fields.Integer(metadata={"description": "supplements recorded so far"})
    notices = fields.Integer(metadata={"description": "notices given so far"})
    awaiting = fields.Boolean(metadata={"description": "the case waits for the documents now"})


class CaseDetailSchema(CaseSummarySchema):
    close_reason = fields.String(allow_none=True)
    awaited_messages = fields.List(fields.String(), metadata={"description": "BPMN messages the case waits for"})
    waiting_services = fields.List(fields.Dict(), metadata={"description": "service tasks waiting for an agency"})
    current_elements = fields.List(
        fields.String(), metadata={"description": "where the case stands, with the call activities around it"}
    )
    documents = fields.Nested(DocumentsNoticeSchema, allow_none=True)
    evidence = fields.List(fields.Nested(lambda: EvidenceSchema()))
    next_timer_at = fields.DateTime(allow_none=True)
    data = fields.Dict()
    open_tasks = fields.List(fields.Nested(lambda: TaskSchema()))
    completed_steps = fields.List(fields.Nested(StepSchema))
    last_event_seq = fields.Integer()


class MessageSchema(StrictSchema):
    payload = fields.Raw(load_default=None, allow_none=True, validate=storable_json)


class CancelSchema(StrictSchema):
    reason = Text(required=True, validate=validate.Length(min=1, max=2000))


class CaseChangedSchema(Schema):
    case_id = fields.String()
    status = fields.String()
    last_event_seq = fields.Integer()
    open_tasks = fields.List(fields.Nested(OpenTaskSchema))


class EventSchema(Schema):
    seq = fields.Integer()
    type = fields.String()
    occurred_at = fields.DateTime()
    actor = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    payload = fields.Raw()
    hash = fields.String()
    prev_hash = fields.String()


class UnmaskArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    unmask = fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: national ID numbers in full (clerks, supervisors, auditors); "
            "the read is recorded (GET /api/audit/personal-data-reads). Otherwise masked (A12****789)."
        },
    )


class StateArgsSchema(UnmaskArgsSchema):
    at = fields.Integer(validate=validate.Range(min=1))


class StateSchema(Schema):
    seq = fields.Integer()
    completed = fields.Boolean()
    data = fields.Dict()
    ready_tasks = fields.List(fields.Dict())
    awaited_messages = fields.List(fields.String(), metadata={"description": "BPMN messages the case waits for"})
    waiting_services = fields.List(fields.Dict(), metadata={"description": "service tasks waiting for an agency"})
    completed_steps = fields.List(fields.Nested(StepSchema))
    current_elements = fields.List(
        fields.String(), metadata={"description": "where the case stands, with the call activities around it"}
    )
    next_timer_at = fields.DateTime(allow_none=True)
    divergence = fields.String(allow_none=True)


class VerificationSchema(Schema):
    case_id = fields.String()
    number = fields.String()
    ok = fields.Boolean()
    events = fields.Integer()
    first_divergent_seq = fields.Integer(allow_none=True)
    problems = fields.List(fields.String())
    replayed = fields.Boolean(
        metadata={"description": "false for an anonymised case: its hash chain is checked, it cannot be replayed"}
    )


# ---------------------------------------------------------------- tasks
class TaskListArgsSchema(PageArgsSchema):
    assignee = Text(validate=validate.Length(max=200))
    officer = Text(
        validate=validate.Length(max=100),
        metadata={"description": "only tasks of cases this user is responsible for ('me': the caller's cases)"},
    )
    group = Text(validate=validate.Length(max=200))
    procedure = Text(validate=validate.Length(max=200))
    overdue = fields.Boolean(
        metadata={"description": "only tasks past their due date: the task's own (its SLA timer), else its case's"}
    )


class TaskSchema(Schema):
    id = fields.String()
    case_id = fields.String()
    case_number = fields.String()
    procedure = fields.String()
    element_id = fields.String()
    name = fields.String(allow_none=True)
    element_type = fields.String()
    lane = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    status = fields.String()
    assignee = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True, metadata={"description": "the assignee's display name"})
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    case_due_at = fields.DateTime(allow_none=True, metadata={"description": "in the inbox: the case's due date"})
    case_sla_state = fields.String(
        metadata={
            "description": "in the inbox: the case's SLA state (on_time, due_today, overdue, paused, "
            "served_on_time, served_late, closed_on_time, closed_late, no_deadline)"
        }
    )


class TaskPageSchema(PageSchema):
    items = fields.List(fields.Nested(TaskSchema))


class EvidenceSchema(Schema):
    """What another agency answered for a service task: its result, or its failure."""

    seq = fields.Integer()
    element_id = fields.String(allow_none=True)
    operation = fields.String()
    agency = fields.String(allow_none=True)
    agency_key = fields.String(allow_none=True, metadata={"description": "the agency's code, for its label"})
    params = fields.Dict()
    result = fields.Raw(allow_none=True)
    error = fields.Dict(allow_none=True)  # {code, message, agency, attempts, failed_at} when it failed
    attempts = fields.Integer(allow_none=True)
    requested_at = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True)
    recorded_at = fields.DateTime()


class TaskDetailSchema(TaskSchema):
    form_schema = fields.Dict(allow_none=True)
    case = fields.Nested(CaseSummarySchema)
    case_data = fields.Dict()
    evidence = fields.List(fields.Nested(EvidenceSchema))
    documents = fields.Nested(DocumentsNoticeSchema, allow_none=True)
    draft = fields.Dict(allow_none=True, metadata={"description": "what was typed so far, kept until completion"})
    draft_saved_at = fields.DateTime(allow_none=True)
    draft_saved_by = fields.String(allow_none=True)
    draft_saved_by_name = fields.String(allow_none=True, metadata={"description": "who saved it, by name"})


class CompleteTaskSchema(StrictSchema):
    data = fields.Dict(load_default=dict, validate=storable_json)


# ---------------------------------------------------------------- applicants
class PublicLookupArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    code = Text(required=True, validate=validate.Length(min=1, max=32))


class PublicCaseSchema(Schema):
    number = fields.String()
    procedure = fields.String()
    procedure_name = fields.String(allow_none=True)
    status = fields.String()
    received_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    served_at = fields.DateTime(allow_none=True, metadata={"description": "when the service was delivered"})
    sla_state = fields.String()
    delayed = fields.Boolean()
    steps_done = fields.List(fields.String())
    steps_open = fields.List(fields.String())
    stage = fields.String(
        metadata={
            "description": "in plain words: in_progress, awaiting_documents, agency_check, awaiting_rating, "
            "completed, withdrawn, cancelled"
        }
    )
    officer = fields.Nested(PersonSchema, allow_none=True)
    office = fields.Nested(OfficeSchema)
    close_reason = fields.String(allow_none=True)
    rated = fields.Boolean()
    can_rate = fields.Boolean(metadata={"description": "the service is done and not rated yet"})
    awaiting_documents = fields.Boolean(metadata={"description": "the case waits for missing documents"})
    missing_documents = fields.List(fields.String(), metadata={"description": "codes of the missing documents"})
    supplement_deadline = fields.String(allow_none=True, metadata={"description": "when they must arrive"})
    received_documents = fields.List(fields.Dict(), metadata={"description": "files received: kind, name, size, when"})


class RatingSchema(StrictSchema):
    code = Text(required=True, validate=validate.Length(min=1, max=32))
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = Text(validate=validate.Length(max=2000), allow_none=True)


class RatingResultSchema(Schema):
    number = fields.String()
    score = fields.Integer()
    recorded = fields.Boolean()


# ---------------------------------------------------------------- operations
class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok or degraded"})
    checks = fields.Dict(
        metadata={"description": "each dependency's state: for operators and admins, or from this machine"}
    )


class OptionLabelSchema(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class VocabularySchema(Schema):
    options = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(OptionLabelSchema),
        required=True,
        metadata={"description": "the label of each option code, by code"},
    )
    procedures = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(OptionLabelSchema),
        required=True,
        metadata={"description": "the name of each procedure of the catalogue, by key"},
    )
    lanes = fields.Dict(keys=fields.String(), values=fields.Nested(OptionLabelSchema))
    channels = fields.Dict(keys=fields.String(), values=fields.Nested(OptionLabelSchema))
    agencies = fields.Dict(keys=fields.String(), values=fields.Nested(OptionLabelSchema))
    operations = fields.Dict(keys=fields.String(), values=fields.Nested(OptionLabelSchema))
    answer_fields = fields.Dict(keys=fields.String(), values=fields.Nested(OptionLabelSchema))
    answer_values = fields.Dict(keys=fields.String(), values=fields.Nested(OptionLabelSchema))
    failures = fields.Dict(keys=fields.String(), values=fields.Nested(OptionLabelSchema))


class CaseRatingSchema(Schema):
    rated = fields.Boolean(metadata={"description": "false: the applicant has not rated (yet)"})
    score = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    rated_at = fields.DateTime(allow_none=True)
