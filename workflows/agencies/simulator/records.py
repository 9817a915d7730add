"""The records the simulated agencies hold: invented people, households, land, insurance,
criminal records and residence permits. Every national ID and resident certificate number here
has a valid checksum (tests/workflows checks it) and belongs to nobody.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    national_id: str
    name: str
    birth_date: str
    household_id: str
    record_status: str = "active"  # active | removed (moved abroad, deceased)


@dataclass(frozen=True)
class Household:
    household_id: str  # 戶號
    address: str
    head: str  # national ID of the head of household


@dataclass(frozen=True)
class Parcel:
    parcel: str  # land section and lot number
    building_address: str
    owners: tuple[str, ...]


@dataclass(frozen=True)
class Enrolment:
    national_id: str
    status: str  # enrolled | withdrawn
    since: str


@dataclass(frozen=True)
class ResidencePermit:
    resident_number: str
    name: str
    nationality: str
    status: str  # valid | expired | revoked
    valid_until: str


PEOPLE = {
    person.national_id: person
    for person in [
        Person("A123456789", "王小明", "1985-04-12", "A0012345"),
        Person("A220001015", "王美玲", "1987-09-30", "A0012345"),
        Person("A201543212", "王小華", "2025-12-01", "A0012345"),  # a newborn of the household
        Person("F131104093", "林志豪", "1979-01-23", "F0456789"),
        Person("F230166779", "陳淑芬", "1981-06-05", "F0456789"),
        Person("B120304565", "張家豪", "1990-11-11", "B0078901"),
        Person("E124551027", "黃建宏", "1958-02-17", "E0034567", record_status="removed"),  # deceased
        Person("H121990034", "李俊傑", "1995-07-08", "H0098765"),
        Person("D122888771", "吳宗憲", "1972-03-29", "D0011223"),
        Person("S220770127", "劉怡君", "1999-12-24", "S0055667"),
        Person("K123004560", "蔡明哲", "1968-08-08", "K0077889"),
        Person("T122112239", "許文彬", "2001-05-15", "T0033445"),
        Person("N123450984", "鄭宇翔", "1983-10-02", "N0066778", record_status="removed"),  # moved abroad
    ]
}

HOUSEHOLDS = {
    household.household_id: household
    for household in [
        Household("A0012345", "臺北市大安區仁愛路四段100號5樓", "A123456789"),
        Household("F0456789", "新北市板橋區文化路一段25號", "F131104093"),
        Household("B0078901", "臺中市西屯區臺灣大道三段99號12樓", "B120304565"),
        Household("E0034567", "高雄市苓雅區四維三路2號", "E124551027"),
        Household("H0098765", "桃園市中壢區中央西路二段30號", "H121990034"),
        Household("D0011223", "臺南市東區大學路1號", "D122888771"),
        Household("S0055667", "高雄市鳳山區光復路二段132號", "S220770127"),
        Household("K0077889", "苗栗縣苗栗市縣府路100號", "K123004560"),
        Household("T0033445", "屏東縣屏東市自由路527號", "T122112239"),
        Household("N0066778", "彰化縣彰化市中山路二段416號", "N123450984"),
    ]
}

PARCELS = {
    parcel.parcel: parcel
    for parcel in [
        Parcel("臺北市大安區仁愛段一小段0123-0000", "臺北市大安區仁愛路四段100號5樓", ("A123456789", "A220001015")),
        Parcel("新北市板橋區文化段0456-0001", "新北市板橋區文化路一段25號", ("F230166779",)),
        Parcel("臺中市西屯區福安段0789-0000", "臺中市西屯區臺灣大道三段99號12樓", ("D122888771",)),  # rented out
        Parcel("桃園市中壢區中央段0321-0002", "桃園市中壢區中央西路二段30號", ("H121990034",)),
    ]
}

ENROLMENTS = {
    enrolment.national_id: enrolment
    for enrolment in [
        Enrolment("A123456789", "enrolled", "2008-07-01"),
        Enrolment("A220001015", "enrolled", "2010-03-15"),
        Enrolment("A201543212", "enrolled", "2025-12-03"),
        Enrolment("F131104093", "enrolled", "2001-09-01"),
        Enrolment("F230166779", "enrolled", "2003-02-01"),
        Enrolment("B120304565", "enrolled", "2014-08-01"),
        Enrolment("E124551027", "withdrawn", "1995-03-01"),
        Enrolment("H121990034", "enrolled", "2018-10-01"),
        Enrolment("D122888771", "enrolled", "1995-03-01"),
        Enrolment("S220770127", "enrolled", "2021-06-01"),
        Enrolment("K123004560", "enrolled", "1995-03-01"),
        Enrolment("T122112239", "enrolled", "2019-09-01"),
        Enrolment("N123450984", "withdrawn", "1995-03-01"),
        Enrolment("A800001235", "enrolled", "2022-04-01"),
    ]
}

# Only whether a record exists leaves the agency: the operation needs nothing more.
CRIMINAL_RECORDS = frozenset({"K123004560", "D122888771"})

PERMITS = {
    permit.resident_number: permit
    for permit in [
        ResidencePermit("A800001235", "NGUYEN THI HOA", "VN", "valid", "2027-04-30"),
        ResidencePermit("F900123457", "SANTOS MARIA", "PH", "expired", "2025-08-31"),
        ResidencePermit("AC01234567", "SMITH JOHN", "US", "valid", "2028-01-15"),  # old-format number
        ResidencePermit("BD23456784", "TANAKA YUKI", "JP", "revoked", "2026-02-28"),
    ]
}
