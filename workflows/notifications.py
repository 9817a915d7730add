"""What the office tells applicants and supervisors, in Traditional Chinese and English.

The engine asks ``HouseholdNotifications.drafts(kind, case)`` when something happens to a case
and queues the answer in its outbox: ``sla_breach``, the case passed its standard processing
time (超過標準作業時間主動告知); ``documents_missing``, a clerk gave the one-time notice of the
documents still missing (一次告知), and the applicant gets it in writing too; and
``documents_reminder``, a clerk reminded the applicant before the deadline (補正催告). The
shared document check's notice and reminder tasks ask for these with ``notifyApplicant``;
``case_received``, the receipt of a case received online or on a home visit (a counter case gets
it printed), with the access code the status page asks for; and ``verification_code``, the
one-time code that proves an online applicant reaches their phone or email. The channels named
here (email, sms) are mapped to delivery adapters by the deployment (real ones in production,
the development mailbox otherwise).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine import NotificationDraft, NotificationPolicy

from .calendar import OFFICE_ZONE
from .vocabulary import OPTION_LABELS

UNITS = {
    "minutes": ("{amount} 分鐘", "{amount} minutes"),
    "office_hours": ("{amount} 小時（上班時間）", "{amount} office hours"),
    "working_days": ("{amount} 個工作天", "{amount} working days"),
    "calendar_days": ("{amount} 日", "{amount} days"),
}


def _local(moment: datetime | None) -> str:
    return moment.astimezone(OFFICE_ZONE).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _standard(standard: dict | None) -> tuple[str, str]:
    if not standard or standard.get("unit") not in UNITS:
        return "-", "-"
    amount = standard["amount"]
    amount = int(amount) if float(amount).is_integer() else amount
    zh, en = UNITS[standard["unit"]]
    return zh.format(amount=amount), en.format(amount=amount)


# Channels whose applicants are not at the counter to be handed the printed receipt.
REMOTE_CHANNELS = {"online": ("網路申辦", "online"), "home_visit": ("到府服務", "on a home visit")}


class HouseholdNotifications(NotificationPolicy):
    def __init__(
        self, supervisor_recipients: list[str] | tuple[str, ...] = (), public_url: str = "http://127.0.0.1:8000"
    ) -> None:
        self.supervisor_recipients = [r for r in supervisor_recipients if r]
        self.status_url = public_url.rstrip("/") + "/app/#/status"

    def notice_kinds(self) -> set[str]:
        return set(DOCUMENT_TEXTS)

    def drafts(self, kind: str, case: dict[str, Any]) -> list[NotificationDraft]:
        if kind in DOCUMENT_TEXTS:
            return self._documents_missing(case, *DOCUMENT_TEXTS[kind])
        if kind == "case_received":
            return self._receipt(case)
        if kind == "verification_code":
            return _verification_code(case)
        if kind != "sla_breach":
            return []
        standard = case.get("standard_time") or {}
        zh_time, en_time = _standard(standard)
        values = {
            "number": case["number"],
            "due": _local(case.get("due_at")),
            "over": _local(case.get("overdue_at")),
            "procedure_zh": standard.get("name_zh") or case["procedure"],
            "procedure_en": standard.get("name_en") or case["procedure"],
            "zh_time": zh_time,
            "en_time": en_time,
        }
        applicant = case.get("applicant") or {}
        name = str(applicant.get("name") or "申請人")
        drafts = []
        if applicant.get("email"):
            drafts.append(
                NotificationDraft(
                    "applicant",
                    "email",
                    str(applicant["email"]),
                    "【戶政事務所】案件 {number} 已超過標準處理時間 / Case {number} is overdue".format(**values),
                    APPLICANT_EMAIL.format(name=name, **values),
                )
            )
        if applicant.get("phone"):
            drafts.append(
                NotificationDraft(
                    "applicant", "sms", str(applicant["phone"]), "案件逾時通知", APPLICANT_SMS.format(**values)
                )
            )
        for recipient in self.supervisor_recipients:
            drafts.append(
                NotificationDraft(
                    "supervisor",
                    "email",
                    recipient,
                    "逾時案件 {number}：{procedure_zh} / Overdue case {number}: {procedure_en}".format(**values),
                    SUPERVISOR_EMAIL.format(**values),
                )
            )
        return drafts

    def _receipt(self, case: dict[str, Any]) -> list[NotificationDraft]:
        """The receipt in writing, for a case received where no printed one can be handed over."""
        data = case.get("data") or {}
        channel = REMOTE_CHANNELS.get(data.get("channel"))
        applicant = case.get("applicant") or {}
        if channel is None or not data.get("access_code"):
            return []
        standard = case.get("standard_time") or {}
        zh_time, en_time = _standard(standard)
        values = {
            "name": str(applicant.get("name") or "申請人"),
            "number": case["number"],
            "code": data["access_code"],
            "procedure_zh": standard.get("name_zh") or case["procedure"],
            "procedure_en": standard.get("name_en") or case["procedure"],
            "channel_zh": channel[0],
            "channel_en": channel[1],
            "received": _local(case.get("received_at")),
            "due": _local(case.get("due_at")),
            "zh_time": zh_time,
            "en_time": en_time,
            "url": self.status_url,
        }
        drafts = []
        if applicant.get("email"):
            subject = "【戶政事務所】收件通知：案件 {number} / Receipt: case {number}".format(**values)
            drafts.append(
                NotificationDraft(
                    "applicant", "email", str(applicant["email"]), subject, RECEIPT_EMAIL.format(**values)
                )
            )
        if applicant.get("phone"):
            drafts.append(
                NotificationDraft("applicant", "sms", str(applicant["phone"]), "收件通知", RECEIPT_SMS.format(**values))
            )
        return drafts

    @staticmethod
    def _documents_missing(case: dict[str, Any], subject: str, email: str, sms: str) -> list[NotificationDraft]:
        """A notice or a reminder in writing: every missing document, and the deadline."""
        data = case.get("data") or {}
        missing = [str(code) for code in data.get("missing_documents") or []]
        if not missing:
            return []
        standard = case.get("standard_time") or {}
        deadline = data.get("supplement_deadline")
        values = {
            "number": case["number"],
            "procedure_zh": standard.get("name_zh") or case["procedure"],
            "procedure_en": standard.get("name_en") or case["procedure"],
            "documents_zh": "、".join(OPTION_LABELS.get(code, (code, code))[0] for code in missing),
            "documents_en": ", ".join(OPTION_LABELS.get(code, (code, code))[1] for code in missing),
            "deadline": _local(datetime.fromisoformat(deadline)) if isinstance(deadline, str) else "-",
        }
        applicant = case.get("applicant") or {}
        drafts = []
        if applicant.get("email"):
            drafts.append(
                NotificationDraft(
                    "applicant",
                    "email",
                    str(applicant["email"]),
                    subject.format(**values),
                    email.format(name=str(applicant.get("name") or "申請人"), **values),
                )
            )
        if applicant.get("phone"):
            drafts.append(
                NotificationDraft("applicant", "sms", str(applicant["phone"]), "補正通知", sms.format(**values))
            )
        return drafts


DOCUMENTS_EMAIL = """{name} 您好：

您申請的「{procedure_zh}」（案件編號 {number}）尚缺下列文件：{documents_zh}。
請於 {deadline} 前補正。補正期間不計入處理時間；逾期未補正，申請視為撤回。
您可以案件編號及查詢碼隨時查詢辦理進度。

Dear {name},

Your application "{procedure_en}" (case {number}) still needs: {documents_en}.
Please supply them by {deadline} (Taipei time). The wait does not count toward the processing time; if they have not arrived by then, the application is withdrawn.
You can check its progress at any time with the case number and access code.

戶政事務所 Household Registration Office
"""

DOCUMENTS_SMS = (
    "戶政事務所：您的案件 {number}（{procedure_zh}）尚缺 {documents_zh}，請於 {deadline} 前補正，逾期視為撤回。"
    " Case {number} needs: {documents_en}, by {deadline}."
)

REMINDER_EMAIL = """{name} 您好：

提醒您，您申請的「{procedure_zh}」（案件編號 {number}）仍缺下列文件：{documents_zh}。
補正期限為 {deadline}；逾期未補正，申請視為撤回。

Dear {name},

A reminder: your application "{procedure_en}" (case {number}) still needs: {documents_en}.
The deadline is {deadline} (Taipei time); if they have not arrived by then, the application is withdrawn.

戶政事務所 Household Registration Office
"""

REMINDER_SMS = (
    "戶政事務所提醒：您的案件 {number} 仍缺 {documents_zh}，補正期限 {deadline}，逾期視為撤回。"
    " Reminder: case {number} still needs {documents_en} by {deadline}."
)

# The notices a diagram may ask for (notifyApplicant): kind -> (email subject, email, SMS).
DOCUMENT_TEXTS = {
    "documents_missing": (
        "【戶政事務所】案件 {number} 請補正文件 / Case {number}: documents needed",
        DOCUMENTS_EMAIL,
        DOCUMENTS_SMS,
    ),
    "documents_reminder": (
        "【戶政事務所】案件 {number} 補正期限將至 / Case {number}: documents still needed",
        REMINDER_EMAIL,
        REMINDER_SMS,
    ),
}


def _verification_code(facts: dict[str, Any]) -> list[NotificationDraft]:
    values = {"code": facts["code"], "until": _local(facts.get("expires_at"))}
    if facts["channel"] == "sms":
        return [NotificationDraft("applicant", "sms", facts["destination"], "驗證碼", CODE_SMS.format(**values))]
    subject = "【戶政事務所】網路申辦驗證碼 / Your verification code"
    return [NotificationDraft("applicant", "email", facts["destination"], subject, CODE_EMAIL.format(**values))]


RECEIPT_EMAIL = """{name} 您好：

戶政事務所已收到您的「{procedure_zh}」申請（{channel_zh}）。
案件編號：{number}
查詢碼：{code}
收件時間：{received}
標準處理時間：{zh_time}，預計於 {due} 前完成。
請以案件編號及查詢碼至 {url} 查詢辦理進度；如需補正文件，也可在該頁上傳。
查詢碼請妥善保存，勿告訴他人。

Dear {name},

The Household Registration Office has received your application "{procedure_en}" ({channel_en}).
Case number: {number}
Access code: {code}
Received: {received} (Taipei time)
Standard processing time: {en_time}; due by {due}.
Check its progress at {url} with the case number and access code; if documents are missing, you can upload them there.
Keep the access code to yourself.

戶政事務所 Household Registration Office
"""

RECEIPT_SMS = (
    "戶政事務所收件：案件 {number}（{procedure_zh}），查詢碼 {code}，預計 {due} 前完成，進度查詢 {url}"
    " Received: case {number}, access code {code}, due {due}."
)

CODE_EMAIL = """您的網路申辦驗證碼是 {code}，有效至 {until}（10 分鐘內）。
請勿將驗證碼告訴他人；戶政事務所不會以電話或訊息向您索取驗證碼。
若您沒有申請，請忽略本信。

Your verification code is {code}. It is valid until {until} (Taipei time, 10 minutes).
Do not share it: the office never asks for it by phone or message. If you did not ask for it, ignore this message.

戶政事務所 Household Registration Office
"""

CODE_SMS = (
    "戶政事務所驗證碼 {code}，10 分鐘內有效，請勿告訴他人。Verification code {code}, valid 10 minutes; do not share it."
)

APPLICANT_EMAIL = """{name} 您好：

您申請的「{procedure_zh}」（案件編號 {number}）標準處理時間為 {zh_time}，原定於 {due} 前完成，目前已超過標準處理時間。
我們已通知主管優先處理，完成時會再通知您。造成您的不便，敬請見諒。
您可以案件編號及查詢碼隨時查詢辦理進度。

Dear {name},

Your application "{procedure_en}" (case {number}) has a standard processing time of {en_time} and was due by {due} (Taipei time). It has passed that time.
The supervisor has been alerted to give it priority, and we will tell you when it is done. We apologise for the delay.
You can check its progress at any time with the case number and access code.

戶政事務所 Household Registration Office
"""

APPLICANT_SMS = (
    "戶政事務所：您的案件 {number}（{procedure_zh}）已超過標準處理時間（原定 {due}），已由主管優先處理。"
    " Case {number} passed its standard time (due {due}); a supervisor is on it."
)

SUPERVISOR_EMAIL = """案件 {number}（{procedure_zh}）已於 {over} 超過標準處理時間（{zh_time}，原定 {due} 完成）。
已通知申請人，並已在主管待辦中建立「逾時檢視」工作，請督導處理。

Case {number} ({procedure_en}) passed its standard processing time ({en_time}, due {due}) at {over}.
The applicant has been told, and a review task is waiting in the supervisors' inbox.
"""
