"""The office's counter queue (號碼牌): the kinds of service visitors draw a ticket for, with the
procedures each counter handles. An office with other counters changes these lines."""

from __future__ import annotations

from engine import QueueService, QueueServices

SERVICES = (
    QueueService(
        "registration",
        "A",
        "戶籍登記",
        "Registrations",
        (
            "birth_registration",
            "death_registration",
            "marriage_registration",
            "divorce_registration",
            "move_in_registration",
            "name_change",
        ),
    ),
    QueueService(
        "certificate",
        "B",
        "謄本與印鑑證明",
        "Transcripts and seal certificates",
        ("household_transcript", "seal_registration"),
    ),
    QueueService("id_card", "C", "國民身分證", "National ID cards", ("id_card",)),
    QueueService("other", "D", "門牌與其他", "House numbers and other matters", ("house_number", "complaint")),
)


def queue_services() -> QueueServices:
    return QueueServices(SERVICES)
