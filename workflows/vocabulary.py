"""Labels of the option codes the office's forms use, in Traditional Chinese and English.

Forms store codes (``birth_certificate``, ``in_person``): they are what scripts, DMN tables and
reports compare. People read the labels: the web app shows them for a form's options and for
lists of codes in a case (the documents still missing). A code without a label is shown as it is;
tests/workflows/test_vocabulary.py makes sure every option of the forms in bpmn/ has one.
"""

from __future__ import annotations

OPTION_LABELS: dict[str, tuple[str, str]] = {
    # documents
    "birth_certificate": ("出生證明書", "Birth certificate"),
    "building_permit": ("建物使用執照", "Building use permit"),
    "court_judgment": ("法院判決書", "Court judgment"),
    "death_certificate": ("死亡證明書", "Death certificate"),
    "divorce_agreement": ("離婚協議書", "Divorce agreement"),
    "driving_licence": ("駕照", "Driving licence"),
    "finality_certificate": ("判決確定證明書", "Certificate of finality"),
    "floor_plan": ("建物平面圖", "Floor plan"),
    "health_insurance_card": ("健保卡", "Health insurance card"),
    "household_register": ("戶口名簿", "Household register"),
    "lease_contract": ("租賃契約", "Lease contract"),
    "marriage_agreement": ("結婚書約", "Marriage agreement"),
    "national_id_card": ("國民身分證", "National ID card"),
    "old_id_card": ("舊國民身分證", "Old ID card"),
    "owner_consent": ("房屋所有權人同意", "Owner's consent"),
    "ownership_certificate": ("建物所有權狀", "Ownership certificate"),
    "passport": ("護照", "Passport"),
    "photo": ("相片", "Photo"),
    "photos": ("相片", "Photos"),
    "proof_of_residence": ("居住事實證明", "Proof of residence"),
    "reason_document": ("改名事由證明文件", "Document showing the reason"),
    "resident_certificate": ("居留證", "Resident certificate"),
    "seal": ("印鑑", "The seal"),
    "surname_agreement": ("子女姓氏約定書", "Agreement on the child's surname"),
    # how a record or a document was checked
    "applicant_household_certificate": ("申請人提出之戶籍謄本", "Household transcript from the applicant"),
    "documents_only": ("書面審查", "Documents only"),
    "none": ("無", "None"),
    "not_checked": ("未查核", "Not checked"),
    "paper_register": ("紙本戶籍資料", "Paper register"),
    "phone_to_registering_office": ("電洽原戶籍地戶政事務所", "Phone to the registering office"),
    "police_record_certificate": ("警察刑事紀錄證明", "Police record certificate"),
    "site_visit": ("實地訪查", "Site visit"),
    "village_chief": ("村里長查證", "Village chief"),
    "written_request_to_ministry": ("函請法務部查詢", "Written request to the ministry"),
    # channels, notices and answers
    "counter": ("臨櫃", "At the counter"),
    "email": ("電子郵件", "Email"),
    "in_person": ("當面告知", "In person"),
    "letter": ("書函", "Letter"),
    "mail": ("郵寄", "Mail"),
    "mayor_mailbox": ("首長信箱", "Mayor's mailbox"),
    "online": ("網路", "Online"),
    "phone": ("電話", "Phone"),
    "phone_and_letter": ("電話及書函", "Phone and letter"),
    "sms": ("簡訊", "SMS"),
    "answered": ("已答復", "Answered"),
    "extension_needed": ("需延長辦理", "Extension needed"),
    # signing online, home visits
    "one_time_code": ("手機或電子郵件驗證碼", "One-time code by phone or email"),
    "citizen_digital_certificate": ("自然人憑證", "Citizen digital certificate"),
    "mobile_id": ("行動自然人憑證", "Mobile ID"),
    "morning": ("上午", "Morning"),
    "afternoon": ("下午", "Afternoon"),
    "disabled": ("身心障礙", "Disability"),
    "elderly": ("年長", "Elderly"),
    "seriously_ill": ("重病", "Seriously ill"),
    # people
    "child": ("子女", "Child"),
    "father": ("從父姓", "Father's surname"),
    "mother": ("從母姓", "Mother's surname"),
    "female": ("女", "Female"),
    "male": ("男", "Male"),
    "other_household_member": ("其他家屬", "Other household member"),
    "parent": ("父母", "Parent"),
    "sibling": ("兄弟姊妹", "Sibling"),
    "spouse": ("配偶", "Spouse"),
    "owner": ("所有權人", "Owner"),
    "lease": ("租賃", "Lease"),
    # kinds of application
    "agreement": ("兩願離婚", "By agreement"),
    "judgment": ("判決離婚", "By judgment"),
    "certificate": ("印鑑證明", "Seal certificate"),
    "change": ("印鑑變更", "Seal change"),
    "registration": ("印鑑登記", "Seal registration"),
    "first_issue": ("初領", "First issue"),
    "renewal": ("換領", "Renewal"),
    "replacement": ("補領", "Replacement"),
    "damaged": ("毀損", "Damaged"),
    "data_changed": ("資料變更", "Data changed"),
    "general_renewal": ("全面換證", "General renewal"),
    "lost": ("遺失", "Lost"),
    "full": ("全部", "Full"),
    "partial": ("部分", "Partial"),
    # reasons for a name change
    "offensive_or_unusual": ("字義粗俗不雅或特殊", "Offensive or unusual"),
    "religious": ("宗教因素", "Religious reasons"),
    "same_name_as_relative": ("與直系尊親屬同名", "Same name as a relative"),
    "same_name_as_wanted_person": ("與通緝犯同名", "Same name as a wanted person"),
    "translation": ("譯名", "Translated name"),
    # complaints
    "facilities": ("設施", "Facilities"),
    "procedure": ("作業程序", "Procedure"),
    "service_attitude": ("服務態度", "Service attitude"),
    "suggestion": ("建議", "Suggestion"),
    "waiting_time": ("等候時間", "Waiting time"),
    "other": ("其他", "Other"),
    # why a case went past its standard time, and what the supervisor did (the delay review)
    "agency_outage": ("機關系統中斷", "Agency system outage"),
    "staff_shortage": ("人力不足", "Staff shortage"),
    "awaiting_applicant": ("等候申請人", "Waiting for the applicant"),
    "complex_case": ("案情複雜", "Complex case"),
    "expedite": ("優先處理", "Expedite"),
    "reassign_officer": ("改派承辦人", "Reassign the officer"),
    "inform_applicant": ("通知申請人", "Inform the applicant"),
    "no_further_action": ("無須其他處置", "No further action"),
}

# The groups that work a diagram's lanes, as the inbox and the case view name them.
LANE_LABELS: dict[str, tuple[str, str]] = {
    "Clerk": ("櫃台服務人員", "Counter clerks"),
    "Supervisor": ("主管", "Supervisors"),
    "Handling officer": ("承辦人員", "Handling officers"),
    "Surveyor": ("勘查人員", "Surveyors"),
}

# How a case reached the office.
CHANNEL_LABELS: dict[str, tuple[str, str]] = {
    "counter": ("臨櫃", "At the counter"),
    "online": ("網路申辦", "Online"),
    "home_visit": ("到府服務", "Home visit"),
}

# The other agencies the office asks (workflows/agencies), their checks, and their answers.
AGENCY_LABELS: dict[str, tuple[str, str]] = {
    "household_registration": (
        "內政部戶政司 戶役政資訊系統",
        "Household registration system (Ministry of the Interior)",
    ),
    "land_registry": ("內政部地政司 地政資訊", "Land registry (Ministry of the Interior)"),
    "health_insurance": ("衛生福利部中央健康保險署", "National Health Insurance Administration"),
    "criminal_records": ("法務部 刑案資料", "Criminal records (Ministry of Justice)"),
    "immigration": ("內政部移民署", "National Immigration Agency"),
}
OPERATION_LABELS: dict[str, tuple[str, str]] = {
    "household_registration/identity_check": ("戶籍資料查驗", "Household record check"),
    "land_registry/ownership_check": ("建物所有權查驗", "Building ownership check"),
    "health_insurance/enrolment_check": ("健保投保查驗", "Health insurance enrolment check"),
    "criminal_records/record_check": ("刑案紀錄查驗", "Criminal record check"),
    "immigration/residence_status": ("居留狀態查驗", "Residence permit check"),
}
ANSWER_FIELD_LABELS: dict[str, tuple[str, str]] = {
    "match": ("資料相符", "Record matches"),
    "record_status": ("戶籍狀態", "Record status"),
    "owner": ("為所有權人", "Is an owner"),
    "enrolled": ("投保中", "Enrolled"),
    "status": ("狀態", "Status"),
    "since": ("起始日", "Since"),
    "has_record": ("有刑案紀錄", "Has a record"),
    "valid_until": ("有效期限", "Valid until"),
    "reference": ("查驗編號", "Reference"),
}
ANSWER_VALUE_LABELS: dict[str, tuple[str, str]] = {
    "active": ("現住", "Active"),
    "removed": ("已除籍", "Removed from the register"),
    "no_match": ("查無相符資料", "No matching record"),
    "enrolled": ("投保中", "Enrolled"),
    "withdrawn": ("已退保", "Withdrawn"),
    "not_found": ("查無資料", "Not found"),
    "valid": ("有效", "Valid"),
    "expired": ("已過期", "Expired"),
    "revoked": ("已撤銷", "Revoked"),
}
# Why an agency check could not be answered (workflows/agencies/client.py).
FAILURE_LABELS: dict[str, tuple[str, str]] = {
    "agency_unavailable": ("機關系統暫時無法連線", "The agency's system could not be reached"),
    "agency_invalid_answer": ("機關回覆的資料無法判讀", "The agency's answer could not be read"),
    "agency_refused": ("機關拒絕此查詢", "The agency refused the request"),
    "agency_circuit_open": ("機關系統近來多次失敗，暫停查詢", "The agency failed repeatedly; checks are paused"),
}
