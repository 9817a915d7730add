// One dictionary per language: zh-TW (default) and en. The choice is kept in localStorage.
import { BACKOFFICE } from "./i18n-backoffice.js";
import { IMPROVEMENT } from "./i18n-improvement.js";

const zh = {
  app_title: "onestop 戶政單一窗口", skip: "跳到主要內容", language: "English", language_label: "Switch to English",
  nav_inbox: "待辦工作", nav_counter: "臨櫃收件", nav_cases: "案件查詢", nav_dashboard: "管理儀表板",
  nav_designer: "流程設計", nav_status: "案件進度查詢", nav_main: "主要功能",
  sign_in: "登入", sign_out: "登出", username: "帳號", password: "密碼", signed_in_as: "使用者：{name}",
  sign_in_failed: "帳號或密碼錯誤", required: "必填", loading: "載入中…", error: "錯誤", none: "無",
  inbox_title: "我的群組待辦工作", inbox_empty: "目前沒有待辦工作。", refresh: "重新整理",
  col_case: "案件編號", col_procedure: "申辦項目", col_step: "步驟", col_lane: "群組", col_assignee: "處理人員",
  col_due: "期限", col_sla: "時效", col_status: "狀態", col_received: "收件時間", col_action: "操作",
  open: "開啟", claim: "認領", unclaim: "退回群組", complete: "完成", claimed_by_you: "由您承辦",
  sla_on_time: "如期", sla_due_today: "今日到期", sla_overdue: "逾期", sla_no_deadline: "無期限",
  sla_closed_on_time: "如期結案", sla_closed_late: "逾期結案",
  nav_queue: "叫號櫃台", queue_display_title: "叫號看板", queue_now_serving: "現在服務", queue_to_counter: "請至 {counter} 號櫃台",
  queue_nobody_called: "目前沒有叫號。", queue_next: "下一號", queue_waiting: "等候 {n} 人", queue_kiosk_title: "抽取號碼牌",
  queue_kiosk_intro: "請選擇您要辦理的業務。", queue_ahead: "您前面還有 {n} 人", queue_print: "列印號碼牌", queue_your_number: "您的號碼",
  queue_counter_title: "櫃台叫號", queue_counter_name: "櫃台編號", queue_call_next: "叫下一號", queue_called: "已叫 {number} 至 {counter} 號櫃台",
  queue_nobody_waiting: "目前無人等候。", queue_start: "開始服務", queue_no_show: "過號未到", queue_finish: "服務完成", queue_ticket: "號碼牌",
  queue_issued_at: "抽號時間", queue_waiting_minutes: "等候分鐘", queue_service_minutes: "服務分鐘", queue_cases: "本次案件數",
  queue_link_case: "連結案件編號", queue_link: "連結", queue_linked: "已連結案件 {number}",
  queue_status_waiting: "等候中", queue_status_called: "已叫號", queue_status_serving: "服務中", queue_status_done: "已完成", queue_status_no_show: "過號未到",
  sla_served_on_time: "如期完成服務", sla_served_late: "逾期完成服務", sla_paused: "補件中（暫停計時）",
  survey_title: "服務滿意度問卷", survey_intro: "請依本次服務回答（1 最差，5 最好），可只答部分題目。", survey_submit: "送出問卷",
  survey_thanks: "感謝您填寫問卷！", survey_done: "您已填寫本問卷，謝謝。", survey_choose: "請至少回答一題。",
  served_at: "完成服務時間", unit_minutes: "分鐘", unit_calendar_days: "日",
  task_title: "工作：{name}", case_summary: "案件摘要", documents: "已備文件", evidence: "機關查驗結果",
  no_evidence: "尚無機關查驗結果。", no_documents: "尚未登錄文件。", form: "表單", form_errors: "表單有 {n} 個錯誤，請修正：",
  claim_first: "請先認領此工作才能填寫完成。", completed_task: "工作已完成。", next_steps: "下一步：",
  back_to_inbox: "回到待辦工作", agency: "機關", operation: "查驗項目", result: "結果", applicant: "申請人",
  counter_title: "臨櫃收件（單一窗口）", procedure: "申辦項目", applicant_name: "申請人姓名", national_id: "身分證統一編號",
  phone: "電話", email: "電子郵件", start_case: "收件", receipt: "收件收據", print_receipt: "列印收據",
  case_number: "案件編號", access_code: "查詢碼", received_at: "收件時間", due_at: "預定完成", standard_time: "法定處理時間", unit_office_hours: "辦公小時", unit_working_days: "工作天",
  channel: "收件管道", open_first_task: "開始處理第一項工作", received: "收件內容",
  status_title: "案件進度查詢", status_intro: "請輸入收據上的案件編號與查詢碼。", look_up: "查詢",
  not_found: "查無此案件編號與查詢碼。", status: "狀態", steps_done: "已完成步驟", steps_open: "辦理中步驟",
  delayed: "已逾期", not_delayed: "未逾期", rating_title: "服務滿意度評分", score: "評分（1 最差，5 最好）",
  comment: "意見（選填）", submit_rating: "送出評分", thanks_rating: "感謝您的評分！", already_rated: "本案件已評分，謝謝。", rating_later: "案件辦結後即可評分。",
  status_running: "辦理中", status_waiting: "等候中", status_completed: "已完成", status_cancelled: "已取消",
  cases_title: "案件查詢", view: "檢視",
  case_title: "案件 {number}", timeline: "歷程", diagram: "流程圖（綠：已走過；黃：目前位置）", history_step: "歷程步驟",
  step_of: "第 {seq} / {total} 筆事件", data_at_step: "此時的案件資料", ready_at_step: "此時待辦步驟",
  unmask_ids: "顯示完整身分證號（將留存查閱紀錄）", mask_ids: "遮蔽身分證號",
  verify: "驗證完整性", verify_ok: "驗證通過：雜湊鏈與重播一致（{events} 筆事件）。", verify_bad: "驗證失敗：",
  verify_ok_chain: "驗證通過：雜湊鏈完整（{events} 筆事件）；本案已去識別化，無法重播。",
  anonymised_notice: "本案已去識別化：個人資料已移除，事件依現況列出（標示移除的欄位），無法回放各步驟的資料；雜湊鏈與簽章證明仍然有效。",
  redacted_keys: "已移除：{keys}",
  proof_title: "完整性證明（供民政局離線查核）", proof_intro: "本案每個有異動且已簽章的日子：案件當日最後一筆事件在當日 Merkle 樹中的位置、稽核路徑，以及以本所金鑰簽署的樹根。",
  proof_day: "日期", proof_head: "當日最後事件", proof_leaf_col: "樹中位置", proof_path_col: "稽核路徑", proof_root: "當日樹根",
  proof_key: "簽章金鑰", proof_timestamp: "時戳（RFC 3161）", proof_leaf: "第 {index} / {cases} 案", proof_path: "{nodes} 個節點",
  proof_no_timestamp: "未時戳", proof_none: "本案尚無已簽章的日子。", proof_unsigned: "最近 {n} 筆事件尚待當日簽章。",
  proof_download: "下載證明檔（JSON）", proof_keys: "下載本所公鑰", proof_command: "離線查核指令：",
  actor: "執行者", event: "事件", at: "時間",
  designer_title: "流程設計", open_procedure: "開啟", save: "儲存 BPMN 檔", validate: "檢查", deploy: "部署新版本",
  findings: "檢查結果", no_findings: "沒有發現問題。", versions: "版本", version: "版本", deployed_at: "部署時間",
  deployed_by: "部署者", diff: "比較", diff_from: "從版本", diff_to: "到版本", show_diff: "顯示差異",
  added: "新增", removed: "刪除", changed: "變更", files: "檔案", elements: "元素", deployed: "已部署版本 {version}（{verdict}）",
  saved: "已儲存草稿並下載 BPMN 檔。", restore_draft: "開啟上次儲存的草稿", draft: "草稿", new_element: "在畫布上編輯：使用左側工具列新增元素。",
  severity: "嚴重度", severity_error: "錯誤", severity_warning: "警告", severity_info: "資訊", element: "元素", message: "說明",
  import_file: "匯入其他工具的 BPMN 檔（存為草稿）", imported: "已匯入為草稿版本 {version}：請依檢查結果修正後部署。",
  import_rejected: "無法讀取上傳的檔案，因此沒有儲存。請見下列檢查結果。", opened_draft: "版本 {version} 是草稿：檢查結果已標示在流程圖上。",
  severity_fixable: "可自動修正", severity_note: "附註", whole_file: "整個檔案 {file}", whole_bundle: "整批上傳的檔案",
  verdict_executable: "可執行", verdict_draft: "草稿", verdict_rejected: "退回",
  fixes_offered: "自動修正", no_fixes: "沒有可自動修正的問題。", preview_fix: "預覽修正", accept_fix: "套用修正",
  fix_diff: "修正前後的 XML 差異", fix_verdict: "修正後的檢查結果：{verdict}", fix_accepted: "已套用修正，請再檢查後部署。",
  fix_elements: "影響 {n} 個元素：{ids}", "fix_choice_assign-lane": "放入泳道", "fix_choice_make-executable": "流程",
  rehearsal_title: "試開一件案件", rehearsal_none: "沒有可執行的結果，因此沒有試開案件。",
  rehearsal_started: "可以開始案件；新案件會停在：{tasks}", rehearsal_completed: "可以開始案件，且不需任何人處理就會結束。",
  rehearsal_failed: "開始案件時在 {element} 停止。", rehearsal_who: "誰能認領", rehearsal_claim: "{groups} 可認領", rehearsal_nobody: "沒有群組能認領",
  dashboard_title: "管理儀表板", period_from: "期間起日", period_to: "期間迄日", sla_chart: "SLA 達成率（%）", backlog_chart: "待辦與逾期案件", ratings_chart: "滿意度平均分數",
  review_title: "平時查核：本月成績與目標", review_month: "月份", review_caption: "{month} 指標與目標", review_indicator: "指標", review_value: "本月",
  review_target: "目標", review_status: "評等", review_previous: "上月", review_change: "增減", annual_csv: "年度查核 CSV", annual_pdf: "年度查核 PDF",
  rag_green: "達成", rag_amber: "接近", rag_red: "未達",
  complaints_by_category: "陳情案件：類別與來源", complaint_category: "類別", complaint_source: "來源", received_count: "收件",
  answered_count: "已答復", answered_on_time: "如期答復", answer_days: "答復天數中位數（工作天）",
  counter_by_counter: "臨櫃叫號：各櫃台", counter_by_hour: "臨櫃叫號：各時段（取號時間）", counter_number: "櫃台",
  counter_n: "{n} 號櫃台", hour_of_day: "時段", tickets: "號碼牌", no_shows: "過號未到", waiting_minutes: "等候分鐘中位數",
  service_minutes: "服務分鐘中位數", surveys_by_type: "滿意度問卷：依服務類型", survey_type: "服務類型", respondents: "填答人數",
  satisfied_share: "各題滿意（4–5 分）", unclassified: "尚未分類", survey_counter: "臨櫃服務", survey_online: "線上申辦",
  survey_home_visit: "到府服務",
  heatmap: "流程瓶頸熱圖", heat_measure: "指標", waiting_median: "等待時間中位數（辦公時數）", working_median: "處理時間中位數（辦公時數）",
  breach_rate: "逾時比例", show: "顯示", low: "低", high: "高", no_data: "此期間沒有資料。",
  compliance: "達成率", open_cases: "待辦", overdue: "逾期", mean: "平均", ratings_count: "評分數",
  login_title: "登入 onestop", forbidden_page: "您的角色無法使用此頁面。",
  err_required: "此欄位必填", err_type: "格式不正確（應為{type}）", err_enum: "請從選項中選擇", err_min: "不可小於 {n}",
  err_max: "不可大於 {n}", err_minlength: "至少 {n} 個字", err_maxlength: "最多 {n} 個字", err_pattern: "格式不正確",
  err_format_date: "請輸入日期（YYYY-MM-DD）", err_format_email: "請輸入電子郵件地址",
  err_format_national_id: "身分證統一編號不正確（檢查碼不符）", err_unique: "選項不可重複",
  err_additional: "不允許的欄位", err_minitems: "至少選 {n} 項", err_maxitems: "最多選 {n} 項",
  type_integer: "整數", type_number: "數字", type_string: "文字", type_boolean: "是／否", type_object: "物件", type_array: "清單",
  choose: "請選擇", yes: "是",
  zoom_in: "放大流程圖", zoom_out: "縮小流程圖", zoom_fit: "流程圖符合寬度", zoom_fit_short: "全圖",
  nav_apply: "線上申辦",
  apply_title: "線上申辦", apply_intro: "不必帳號：輸入身分證統一編號，以手機簡訊或電子郵件收到的驗證碼確認身分後，即可線上申請並上傳文件。",
  apply_verify_title: "步驟 1：確認身分", apply_send_by: "驗證碼傳送方式", apply_phone: "手機號碼", apply_send_code: "傳送驗證碼",
  apply_code_title: "步驟 2：輸入驗證碼", apply_code_sent: "驗證碼已傳送至 {destination}，有效至 {until}。", apply_code: "驗證碼（6 位數字）",
  apply_check_code: "確認", apply_ask_again: "重新取得驗證碼", apply_verified: "身分已確認。",
  apply_too_many: "驗證碼申請次數過多，請 {minutes} 分鐘後再試。",
  apply_verified_as: "已確認身分：{id}（{destination}）", apply_end_session: "結束線上申辦",
  apply_choose: "請選擇申辦項目", apply_standard_time: "法定處理時間 {time}", apply_none_offered: "目前沒有開放線上申辦的項目。",
  apply_form_title: "線上申辦：{name}", apply_not_offered: "此項目未開放線上申辦。", apply_form_section: "申請書",
  apply_documents_section: "上傳文件", apply_documents_hint: "請上傳 PDF、JPEG 或 PNG 檔，每個檔案最大 {size}；一份文件可上傳多個檔案（例如正反面）。缺少的文件可於收件後補件。",
  apply_file_too_large: "檔案太大（最大 {size}）", apply_submit: "送出申請", apply_verify_again: "重新確認身分",
  apply_done_title: "已收到您的申請", apply_receipt_sent: "收據已傳送至 {to}。", apply_documents_received: "已收到的文件",
  apply_follow: "查詢辦理進度",
  document_kind: "文件", file_name: "檔名", file_size: "大小", file_type: "格式", sha256: "SHA-256 指紋",
  supplement_title: "補件上傳",
  supplement_submit: "上傳補件",
  supplement_choose: "請至少選擇一個檔案。", supplement_done: "已收到 {n} 個檔案，案件繼續辦理。", list_separator: "、",
  case_files: "上傳的文件檔案", no_case_files: "此案件沒有上傳的文件檔案。", download: "下載",
  attach_scans: "附加掃描檔（臨櫃或到府收件）", attach_submit: "附加檔案",
  occasion_application: "申請時", occasion_supplement: "補件", occasion_attachment: "臨櫃掃描",
  files_refused: "有 {n} 個檔案無法收件：", file_err_not_accepted_type: "「{file}」不是 PDF、JPEG 或 PNG 檔（依檔案內容判斷，與檔名無關）。",
  file_err_too_large: "「{file}」太大，每個檔案最大 10 MB。", file_err_empty: "「{file}」是空的檔案。",
  file_err_no_kind: "「{file}」未指明是哪一份文件。", file_err_not_taken: "「{file}」不是這項申請收取的文件。",
  // case work
  nav_search: "案件查詢", search_title: "案件查詢", search_label: "案件編號、申請人姓名、身分證統一編號或電話",
  search_hint: "姓名可只輸入開頭（例如姓氏）；身分證統一編號須完整輸入，結果中會遮蔽。", search: "查詢",
  filter_procedure: "申辦項目", filter_status: "狀態", filter_channel: "收件管道", filter_officer: "承辦人",
  filter_overdue: "只看逾期案件", filter_from: "收件日起", filter_to: "收件日迄", sort_by: "排序",
  sort_received_desc: "收件時間（新到舊）", sort_received_asc: "收件時間（舊到新）", sort_due_asc: "預定完成（近到遠）", sort_due_desc: "預定完成（遠到近）",
  any: "全部", officer_me: "我承辦的", results: "共 {n} 件", results_more: "{n} 件以上", no_results: "查無符合的案件。",
  next_page: "下一頁", previous_page: "上一頁", page_n: "第 {n} 頁", clear_filters: "清除條件",
  col_applicant: "申請人", col_officer: "承辦人", col_current: "目前步驟", awaiting_documents: "等候補件",
  case_view_title: "案件 {number}", officer: "承辦人", officer_phone: "聯絡電話", office_phone: "機關電話",
  no_officer: "尚未指定", reassign_officer: "改派承辦人", new_officer: "新承辦人", reason: "原因", save_change: "確定改派",
  officer_changed: "已改派承辦人。", current_steps: "目前步驟", no_current_steps: "目前沒有待辦步驟。",
  waiting_agency: "等候其他機關回覆：{name}", waiting_message_documents: "等候申請人補件", waiting_message_rating: "等候申請人評分",
  notice_title: "一次告知：缺件與補正期限", documents_missing: "尚缺文件", documents_presented: "已備文件", deadline: "補正期限",
  rounds: "補件次數", notices_given: "告知次數", all_documents_present: "文件已齊備。",
  record_supplement: "登錄臨櫃補件", which_documents_came: "本次補來的文件（可複選）", supplement_note: "備註（選填）",
  supplement_saved: "已登錄補件。", choose_documents: "請至少勾選一項補來的文件。",
  notes: "備註與聯繫紀錄", add_note: "新增備註", note_text: "備註內容", note_saved: "已新增備註。", no_notes: "尚無備註。",
  activity: "辦理歷程", history_link: "完整歷程與驗證（稽核）", open_task: "處理此步驟",
  case_actions: "案件處理", withdraw: "申請人撤回", withdraw_reason: "撤回說明（申請人的意思）", cancel_case: "註銷案件",
  cancel_reason: "註銷原因", confirm_withdraw: "確定撤回", confirm_cancel: "確定註銷", case_closed_withdrawn: "案件已撤回。",
  case_closed_cancelled: "案件已註銷。", closed_reason: "結案原因", close_withdrawn: "申請人撤回", close_cancelled: "已註銷",
  assign_task: "指派給同事", assign_to: "指派對象", assign: "指派", assigned: "已指派給 {name}。",
  draft_saved_at: "草稿已儲存（{time}）", draft_unsaved: "有尚未儲存的變更", draft_saving: "儲存中…", draft_save: "儲存草稿",
  draft_failed: "草稿未能儲存：{message}", draft_restored: "已帶入先前儲存的草稿（{time}，{name}）。", claim_to_type: "請先按「認領」，再填寫表單；填寫內容會自動儲存為草稿。", task_held_by: "此工作由 {name} 處理中。",
  submitting: "送出中…", counter_saved: "已收件。表單已清空，可接著收下一件。", channel_hint_counter: "申請人在櫃台：收據當場列印交付。",
  channel_hint_remote: "到府服務：收據以簡訊或電子郵件寄給申請人，請填手機或電子郵件。", remote_needs_contact: "到府服務的收據以簡訊或電子郵件寄送：請填申請人的手機或電子郵件。",
  receipt_sent_to: "收據已另以簡訊或電子郵件寄至：{to}", receipt_officer: "承辦人", receipt_office: "服務機關",
  inbox_all: "群組全部待辦", inbox_mine: "我承辦的案件", task_case_link: "檢視整個案件",
  missing_for_notice: "請告知申請人下列尚缺文件，並請於期限前補正：", notice_deadline: "補正期限：{date}",
  calendar_roc: "民國年", calendar_gregorian: "西元年", calendar_label: "日期顯示方式",
  roc_date: "民國 {y} 年 {m} 月 {d} 日", roc_date_before: "民國前 {y} 年 {m} 月 {d} 日", greg_date: "{y} 年 {m} 月 {d} 日",
  event_case_started: "收件", event_task_claimed: "認領", event_task_unclaimed: "退回群組", event_task_assigned: "指派",
  event_task_completed: "完成步驟", event_message_delivered: "收到訊息", event_documents_supplied: "補件",
  event_rating_received: "評分", event_timers_fired: "時限到達", event_case_cancelled: "註銷", event_case_withdrawn: "撤回",
  event_service_result_recorded: "機關查驗回覆", event_sla_paused: "暫停計時（等候補件）", event_sla_resumed: "恢復計時",
  event_due_date_changed: "預定完成日變更", event_sla_extended: "延長處理時間", event_case_migrated: "改用新版流程",
  event_case_completed: "結案", event_case_overdue: "逾期", event_rating_recorded: "評分", rating_given: "{score} 分（滿分 5 分）", event_note_added: "備註", event_case_anonymised: "去識別化", event_incident_raised: "發生異常事件", event_incident_resolved: "異常事件已處理", event_variables_changed: "變更案件資料",
  event_officer_assigned: "指定承辦人", event_case_transferred: "跨區通辦：移至主管所", by: "由 {name}", yes_word: "是", no_word: "否", agency_failed: "查驗失敗",
  agency_answer: "回覆內容", stage_in_progress: "辦理中", stage_awaiting_documents: "等候您補件",
  stage_agency_check: "正在向其他機關查驗資料", stage_awaiting_rating: "已辦結，歡迎評分", stage_completed: "已辦結",
  stage_withdrawn: "已撤回", stage_cancelled: "已註銷",
  public_missing_intro: "您的案件尚缺下列文件：", public_deadline: "請於 {date} 前補正。補正期間不計入處理時間；逾期未補正，申請視為撤回。",
  public_where: "請攜帶文件至 {office}（{address}，{hours}）任一服務櫃台，並出示案件編號。",
  public_upload: "也可以在本頁下方上傳文件。", public_contact: "有問題請洽承辦人 {name}，電話 {phone}。",
  public_contact_office: "有問題請洽 {office}，電話 {phone}。", public_now: "目前進度", public_close_reason: "說明",
  public_documents_ok: "應備文件已齊全。", task_status_completed: "已完成", col_field: "欄位", actor_engine: "系統", actor_scheduler: "系統排程", actor_worker: "機關查驗程式",
  actor_calendar: "行事曆調整", actor_applicant: "申請人", col_before: "變更前", col_after: "變更後", task_status_cancelled: "已取消（流程已改走其他步驟）",
  // incidents
  incidents_title: "異常事件", nav_incidents: "異常事件",
  incidents_intro: "這些案件的自動步驟（計時、機關回覆後的處理）失敗，已暫停在原處，其他案件照常進行。修正流程或變數後重試，或取消案件。",
  incidents_none: "沒有符合條件的異常事件。", incidents_count: "共 {n} 件", incident_filters: "篩選異常事件", incident_filter: "篩選",
  incident_step: "步驟", incident_kind: "種類", incident_message: "錯誤訊息", incident_attempts: "嘗試次數", incident_last_failure: "最後失敗",
  incident_open: "待處理", incident_resolved: "已解決", incident_all: "全部", incident_procedure_key: "申辦項目代碼",
  incident_kind_procedure_error: "流程錯誤", incident_kind_resource_limit: "超出資源限制", incident_kind_step_limit: "無等待點的迴圈",
  incident_kind_internal_error: "系統錯誤", incident_kind_interrupted: "執行中斷", incident_resolution_retried: "已重試", incident_resolution_cancelled: "已取消案件",
  incident_resolution_case_closed: "案件已結", incident_reason: "理由", incident_variables: "修正變數（JSON，選填）",
  incident_retry: "重試", incident_cancel: "取消案件", incident_retried: "案件 {case} 已重試，繼續辦理。",
  incident_cancelled: "案件 {case} 已取消。", incident_failed_again: "案件 {case} 重試仍失敗：",
  incident_bad_json: "修正變數必須是 JSON 物件，例如 {\"n\": 2}。", incident_reason_needed: "取消案件須填寫理由。",
};
const en = {
  app_title: "onestop one-stop household registration", skip: "Skip to main content", language: "中文", language_label: "切換為中文",
  nav_inbox: "Inbox", nav_counter: "Counter", nav_cases: "Cases", nav_dashboard: "Dashboard",
  nav_designer: "Designer", nav_status: "Case status", nav_main: "Main",
  sign_in: "Sign in", sign_out: "Sign out", username: "Username", password: "Password", signed_in_as: "Signed in: {name}",
  sign_in_failed: "Unknown user or wrong password", required: "required", loading: "Loading…", error: "Error", none: "none",
  inbox_title: "Tasks of my groups", inbox_empty: "No open tasks.", refresh: "Refresh",
  col_case: "Case number", col_procedure: "Procedure", col_step: "Step", col_lane: "Group", col_assignee: "Assignee",
  col_due: "Due", col_sla: "SLA", col_status: "Status", col_received: "Received", col_action: "Action",
  open: "Open", claim: "Claim", unclaim: "Release", complete: "Complete", claimed_by_you: "claimed by you",
  sla_on_time: "On time", sla_due_today: "Due today", sla_overdue: "Overdue", sla_no_deadline: "No deadline",
  sla_closed_on_time: "Closed on time", sla_closed_late: "Closed late",
  nav_queue: "Counter queue", queue_display_title: "Now serving", queue_now_serving: "Now serving", queue_to_counter: "to counter {counter}",
  queue_nobody_called: "No number called yet.", queue_next: "Next", queue_waiting: "{n} waiting", queue_kiosk_title: "Take a number",
  queue_kiosk_intro: "Choose the service you came for.", queue_ahead: "{n} ahead of you", queue_print: "Print the ticket", queue_your_number: "Your number",
  queue_counter_title: "Counter queue", queue_counter_name: "Counter", queue_call_next: "Call next", queue_called: "Called {number} to counter {counter}",
  queue_nobody_waiting: "Nobody is waiting.", queue_start: "Start serving", queue_no_show: "Not here", queue_finish: "Done", queue_ticket: "Ticket",
  queue_issued_at: "Issued", queue_waiting_minutes: "Minutes waited", queue_service_minutes: "Minutes served", queue_cases: "Cases of this visit",
  queue_link_case: "Link case number", queue_link: "Link", queue_linked: "Linked case {number}",
  queue_status_waiting: "Waiting", queue_status_called: "Called", queue_status_serving: "Being served", queue_status_done: "Done", queue_status_no_show: "Not here when called",
  sla_served_on_time: "Served on time", sla_served_late: "Served late", sla_paused: "Waiting for documents (clock stopped)",
  survey_title: "Satisfaction survey", survey_intro: "About this service (1 poor, 5 very good); answer as many questions as you like.", survey_submit: "Send the survey",
  survey_thanks: "Thank you for answering!", survey_done: "You have answered this survey, thank you.", survey_choose: "Answer at least one question.",
  served_at: "Service delivered", unit_minutes: "minutes", unit_calendar_days: "days",
  task_title: "Task: {name}", case_summary: "Case summary", documents: "Documents presented", evidence: "Agency evidence",
  no_evidence: "No agency evidence yet.", no_documents: "No documents recorded yet.", form: "Form", form_errors: "The form has {n} errors; please correct:",
  claim_first: "Claim this task before completing it.", completed_task: "Task completed.", next_steps: "Next:",
  back_to_inbox: "Back to the inbox", agency: "Agency", operation: "Check", result: "Result", applicant: "Applicant",
  counter_title: "Counter: receive a case (single window)", procedure: "Procedure", applicant_name: "Applicant name", national_id: "National ID number",
  phone: "Phone", email: "Email", start_case: "Receive", receipt: "Receipt", print_receipt: "Print receipt",
  case_number: "Case number", access_code: "Access code", received_at: "Received", due_at: "Due", standard_time: "Standard time", unit_office_hours: "office hours", unit_working_days: "working days",
  channel: "Channel", open_first_task: "Work on the first task", received: "Received",
  status_title: "Case status", status_intro: "Enter the case number and access code from your receipt.", look_up: "Look up",
  not_found: "No case with this number and access code.", status: "Status", steps_done: "Steps done", steps_open: "Steps in progress",
  delayed: "Delayed", not_delayed: "Not delayed", rating_title: "Rate our service", score: "Score (1 worst, 5 best)",
  comment: "Comment (optional)", submit_rating: "Send rating", thanks_rating: "Thank you for your rating!", already_rated: "This case has been rated. Thank you.", rating_later: "You can rate the service once your case is done.",
  status_running: "In progress", status_waiting: "Waiting", status_completed: "Completed", status_cancelled: "Cancelled",
  cases_title: "Cases", view: "View",
  case_title: "Case {number}", timeline: "Timeline", diagram: "Diagram (green: path taken; yellow: where the case is)", history_step: "History step",
  step_of: "event {seq} of {total}", data_at_step: "Case data at this step", ready_at_step: "Open steps at this step",
  unmask_ids: "Show full ID numbers (the read is recorded)", mask_ids: "Mask ID numbers",
  verify: "Verify integrity", verify_ok: "Verified: hash chain and replay agree ({events} events).", verify_bad: "Verification failed:",
  verify_ok_chain: "Verified: hash chain intact ({events} events); the case was anonymised and cannot be replayed.",
  anonymised_notice: "This case was anonymised: its personal values were removed. Its events are listed as they are now (with the fields removed) and earlier steps cannot be replayed; its hash chain and signed proofs remain valid.",
  redacted_keys: "removed: {keys}",
  proof_title: "Integrity proof (for the bureau's offline check)", proof_intro: "Each signed day the case changed on: where its last event of that day sits in the day's Merkle tree, the audit path, and the root signed with the office's key.",
  proof_day: "Day", proof_head: "Last event of the day", proof_leaf_col: "Place in the tree", proof_path_col: "Audit path", proof_root: "Day's root",
  proof_key: "Signing key", proof_timestamp: "Timestamp (RFC 3161)", proof_leaf: "case {index} of {cases}", proof_path: "{nodes} nodes",
  proof_no_timestamp: "not stamped", proof_none: "No day of this case is signed yet.", proof_unsigned: "The latest {n} events wait for their day to be signed.",
  proof_download: "Download the proof (JSON)", proof_keys: "Download the office's public keys", proof_command: "Check it offline:",
  actor: "Actor", event: "Event", at: "Time",
  designer_title: "Procedure designer", open_procedure: "Open", save: "Save BPMN file", validate: "Validate", deploy: "Deploy new version",
  findings: "Findings", no_findings: "No findings.", versions: "Versions", version: "Version", deployed_at: "Deployed",
  deployed_by: "By", diff: "Compare", diff_from: "From version", diff_to: "To version", show_diff: "Show differences",
  added: "Added", removed: "Removed", changed: "Changed", files: "Files", elements: "Elements", deployed: "Deployed version {version} ({verdict})",
  saved: "Draft saved and BPMN file downloaded.", restore_draft: "Open the draft saved last", draft: "draft", new_element: "Edit on the canvas: add elements with the palette on the left.",
  severity: "Severity", severity_error: "Error", severity_warning: "Warning", severity_info: "Info", element: "Element", message: "Message",
  import_file: "Import a BPMN file from another tool (as a draft)", imported: "Imported as draft version {version}: fix it by its findings, then deploy.",
  import_rejected: "The upload cannot be read, so it was not stored. See the findings below.", opened_draft: "Version {version} is a draft: its findings are marked on the diagram.",
  severity_fixable: "fixable", severity_note: "note", whole_file: "Whole file {file}", whole_bundle: "The whole upload",
  verdict_executable: "executable", verdict_draft: "draft", verdict_rejected: "rejected",
  fixes_offered: "Automatic fixes", no_fixes: "Nothing to fix automatically.", preview_fix: "Preview the fix", accept_fix: "Accept the fix",
  fix_diff: "What the fix changes in the XML", fix_verdict: "After the fix: {verdict}", fix_accepted: "The fix is applied: validate again, then deploy.",
  fix_elements: "{n} elements: {ids}", "fix_choice_assign-lane": "Lane", "fix_choice_make-executable": "Process",
  rehearsal_title: "Rehearsal of a case", rehearsal_none: "No executable result, so no case was tried.",
  rehearsal_started: "A case can be started; a new case waits at: {tasks}", rehearsal_completed: "A case can be started, and it ends without anybody's work.",
  rehearsal_failed: "Starting a case stops at {element}.", rehearsal_who: "Who can claim it", rehearsal_claim: "claimable by {groups}", rehearsal_nobody: "no group can claim it",
  dashboard_title: "Dashboard", period_from: "From", period_to: "To", sla_chart: "SLA compliance (%)", backlog_chart: "Open and overdue cases", ratings_chart: "Mean rating",
  review_title: "Review indicators", review_month: "Month", review_caption: "{month}: indicators and targets", review_indicator: "Indicator", review_value: "This month",
  review_target: "Target", review_status: "Status", review_previous: "Last month", review_change: "Change", annual_csv: "Annual review CSV", annual_pdf: "Annual review PDF",
  rag_green: "Met", rag_amber: "Near", rag_red: "Missed",
  complaints_by_category: "Complaints by category and source", complaint_category: "Category", complaint_source: "Source",
  received_count: "Received", answered_count: "Answered", answered_on_time: "On time", answer_days: "Answer time, median working days",
  counter_by_counter: "Counter queue by counter", counter_by_hour: "Counter queue by hour (ticket taken)", counter_number: "Counter",
  counter_n: "Counter {n}", hour_of_day: "Hour", tickets: "Tickets", no_shows: "Not there when called",
  waiting_minutes: "Waiting, median minutes", service_minutes: "Service, median minutes", surveys_by_type: "Satisfaction surveys by service type",
  survey_type: "Service type", respondents: "Respondents", satisfied_share: "Answers satisfied (4-5)",
  unclassified: "Not yet classified", survey_counter: "At the counter", survey_online: "Online", survey_home_visit: "Home visit",
  heatmap: "Bottleneck heat map", heat_measure: "Measure", waiting_median: "Median waiting (office hours)", working_median: "Median working (office hours)",
  breach_rate: "Breach rate", show: "Show", low: "low", high: "high", no_data: "No data in this period.",
  compliance: "Compliance", open_cases: "Open", overdue: "Overdue", mean: "Mean", ratings_count: "Ratings",
  login_title: "Sign in to onestop", forbidden_page: "Your role cannot use this page.",
  err_required: "This field is required", err_type: "Wrong format (expected {type})", err_enum: "Choose one of the options", err_min: "Must be at least {n}",
  err_max: "Must be at most {n}", err_minlength: "At least {n} characters", err_maxlength: "At most {n} characters", err_pattern: "Wrong format",
  err_format_date: "Enter a date (YYYY-MM-DD)", err_format_email: "Enter an email address",
  err_format_national_id: "Not a valid national ID number (check digit)", err_unique: "No duplicates",
  err_additional: "Field not allowed", err_minitems: "Choose at least {n}", err_maxitems: "Choose at most {n}",
  type_integer: "integer", type_number: "number", type_string: "text", type_boolean: "yes/no", type_object: "object", type_array: "list",
  choose: "Choose…", yes: "Yes",
  zoom_in: "Zoom in on the diagram", zoom_out: "Zoom out of the diagram", zoom_fit: "Fit the diagram to the width", zoom_fit_short: "Fit",
  nav_apply: "Apply online",
  apply_title: "Apply online", apply_intro: "No account needed: enter your national ID number, confirm it with the code we send to your mobile phone or email, then apply and upload your documents.",
  apply_verify_title: "Step 1: confirm who you are", apply_send_by: "Send the code by", apply_phone: "Mobile phone number", apply_send_code: "Send the code",
  apply_code_title: "Step 2: enter the code", apply_code_sent: "The code was sent to {destination}; it is valid until {until}.", apply_code: "Code (6 digits)",
  apply_check_code: "Confirm", apply_ask_again: "Get a new code", apply_verified: "Confirmed.",
  apply_too_many: "Too many codes were asked for; try again in {minutes} minutes.",
  apply_verified_as: "Confirmed: {id} ({destination})", apply_end_session: "End online application",
  apply_choose: "Choose a service", apply_standard_time: "standard time {time}", apply_none_offered: "No service can be applied for online at the moment.",
  apply_form_title: "Apply online: {name}", apply_not_offered: "This service cannot be applied for online.", apply_form_section: "Application",
  apply_documents_section: "Upload documents", apply_documents_hint: "PDF, JPEG or PNG files, at most {size} each; a document may have several files (front and back). Documents you do not have yet can be supplied later.",
  apply_file_too_large: "file too large (at most {size})", apply_submit: "Submit the application", apply_verify_again: "Confirm again",
  apply_done_title: "Your application has been received", apply_receipt_sent: "The receipt was sent to {to}.", apply_documents_received: "Documents received",
  apply_follow: "Follow its progress",
  document_kind: "Document", file_name: "File name", file_size: "Size", file_type: "Type", sha256: "SHA-256 fingerprint",
  supplement_title: "Upload missing documents",
  supplement_submit: "Upload",
  supplement_choose: "Choose at least one file.", supplement_done: "{n} files received; the case goes on.", list_separator: ", ",
  case_files: "Uploaded document files", no_case_files: "No document files were uploaded for this case.", download: "Download",
  attach_scans: "Attach scans (counter or home visit)", attach_submit: "Attach the files",
  occasion_application: "with the application", occasion_supplement: "supplement", occasion_attachment: "scanned at the counter",
  files_refused: "{n} file(s) could not be received:", file_err_not_accepted_type: "“{file}” is not a PDF, JPEG or PNG file (judged by its content, not its name).",
  file_err_too_large: "“{file}” is too large: at most 10 MB per file.", file_err_empty: "“{file}” is empty.",
  file_err_no_kind: "“{file}” does not say which document it is.", file_err_not_taken: "“{file}” is not a document this application takes.",
  // case work
  nav_search: "Cases", search_title: "Find a case", search_label: "Case number, applicant name, national ID number or phone",
  search_hint: "A name may be just its beginning (the family name); an ID number must be complete, and is masked in the results.", search: "Search",
  filter_procedure: "Procedure", filter_status: "Status", filter_channel: "Channel", filter_officer: "Officer",
  filter_overdue: "Overdue cases only", filter_from: "Received from", filter_to: "Received until", sort_by: "Sort by",
  sort_received_desc: "Newest first", sort_received_asc: "Oldest first", sort_due_asc: "Due soonest", sort_due_desc: "Due latest",
  any: "Any", officer_me: "Mine", results: "{n} cases", results_more: "{n} or more cases", no_results: "No case matches.",
  next_page: "Next page", previous_page: "Previous page", page_n: "Page {n}", clear_filters: "Clear",
  col_applicant: "Applicant", col_officer: "Officer", col_current: "Current step", awaiting_documents: "Awaiting documents",
  case_view_title: "Case {number}", officer: "Responsible officer", officer_phone: "Phone", office_phone: "Office phone",
  no_officer: "Not assigned yet", reassign_officer: "Reassign the officer", new_officer: "New officer", reason: "Reason", save_change: "Reassign",
  officer_changed: "The officer was reassigned.", current_steps: "Current steps", no_current_steps: "No open step.",
  waiting_agency: "Waiting for another agency: {name}", waiting_message_documents: "Waiting for the applicant's documents", waiting_message_rating: "Waiting for the applicant's rating",
  notice_title: "One-time notice: missing documents and deadline", documents_missing: "Missing", documents_presented: "Presented", deadline: "Deadline",
  rounds: "Supplements", notices_given: "Notices given", all_documents_present: "All documents are here.",
  record_supplement: "Record a supplement at the counter", which_documents_came: "Documents brought this time (one or more)", supplement_note: "Note (optional)",
  supplement_saved: "The supplement was recorded.", choose_documents: "Tick at least one document that came.",
  notes: "Notes and contacts", add_note: "Add a note", note_text: "Note", note_saved: "The note was added.", no_notes: "No notes yet.",
  activity: "Activity", history_link: "Full history and verification (audit)", open_task: "Work on this step",
  case_actions: "Actions", withdraw: "Withdraw at the applicant's request", withdraw_reason: "What the applicant asked", cancel_case: "Cancel the case",
  cancel_reason: "Reason for cancelling", confirm_withdraw: "Withdraw", confirm_cancel: "Cancel the case", case_closed_withdrawn: "The case was withdrawn.",
  case_closed_cancelled: "The case was cancelled.", closed_reason: "Why it was closed", close_withdrawn: "Withdrawn by the applicant", close_cancelled: "Cancelled",
  assign_task: "Give to a colleague", assign_to: "Colleague", assign: "Give", assigned: "Given to {name}.",
  draft_saved_at: "Draft saved ({time})", draft_unsaved: "Unsaved changes", draft_saving: "Saving…", draft_save: "Save draft",
  draft_failed: "The draft was not saved: {message}", draft_restored: "The draft saved earlier is filled in ({time}, {name}).", claim_to_type: "Claim the task first, then fill in the form; what you type is saved as a draft.", task_held_by: "{name} is working on this task.",
  submitting: "Sending…", counter_saved: "Received. The form is cleared for the next applicant.", channel_hint_counter: "The applicant is at the counter: the receipt is printed and handed over.",
  channel_hint_remote: "Home visit: the receipt is sent to the applicant by SMS or email; give a mobile number or an email address.",
  remote_needs_contact: "A home visit's receipt is sent by SMS or email: give the applicant's mobile number or email address.",
  receipt_sent_to: "The receipt is also sent by SMS or email to: {to}", receipt_officer: "Responsible officer", receipt_office: "Office",
  inbox_all: "All tasks of my groups", inbox_mine: "My cases", task_case_link: "View the whole case",
  missing_for_notice: "Tell the applicant that these documents are still missing, to be supplied by the deadline:", notice_deadline: "Deadline: {date}",
  calendar_roc: "ROC year", calendar_gregorian: "AD year", calendar_label: "Dates in",
  roc_date: "{d} {month} ROC {y}", roc_date_before: "{d} {month} {y} before the ROC", greg_date: "{d} {month} {y}",
  event_case_started: "Received", event_task_claimed: "Claimed", event_task_unclaimed: "Released", event_task_assigned: "Given to a colleague",
  event_task_completed: "Step done", event_message_delivered: "Message received", event_documents_supplied: "Documents supplied",
  event_rating_received: "Rating", event_timers_fired: "Time limit reached", event_case_cancelled: "Cancelled", event_case_withdrawn: "Withdrawn",
  event_service_result_recorded: "Agency answer", event_sla_paused: "Clock paused (awaiting documents)", event_sla_resumed: "Clock resumed",
  event_due_date_changed: "Due date changed", event_sla_extended: "Processing time extended", event_case_migrated: "Moved to a new version",
  event_case_completed: "Closed", event_case_overdue: "Overdue", event_rating_recorded: "Rated", rating_given: "{score} out of 5", event_note_added: "Note", event_case_anonymised: "Anonymised", event_incident_raised: "Incident raised", event_incident_resolved: "Incident resolved", event_variables_changed: "Case data changed",
  event_officer_assigned: "Officer set", event_case_transferred: "Transferred to the competent office", by: "by {name}", yes_word: "Yes", no_word: "No", agency_failed: "Check failed",
  agency_answer: "Answer", stage_in_progress: "In progress", stage_awaiting_documents: "Waiting for your documents",
  stage_agency_check: "Checking with another agency", stage_awaiting_rating: "Done; please rate our service", stage_completed: "Done",
  stage_withdrawn: "Withdrawn", stage_cancelled: "Cancelled",
  public_missing_intro: "Your case still needs these documents:", public_deadline: "Please bring them by {date}. The wait does not count toward the processing time; if they have not arrived by then, the application is withdrawn.",
  public_where: "Bring them to any counter of the {office} ({address}; {hours}) with your case number.",
  public_upload: "You can also upload them below on this page.", public_contact: "Questions: your officer {name}, phone {phone}.",
  public_contact_office: "Questions: the {office}, phone {phone}.", public_now: "Now", public_close_reason: "Reason",
  public_documents_ok: "All required documents are here.", task_status_completed: "Completed", col_field: "Field", actor_engine: "the system", actor_scheduler: "the scheduler", actor_worker: "the agency check",
  actor_calendar: "a calendar change", actor_applicant: "the applicant", col_before: "Before", col_after: "After", task_status_cancelled: "Cancelled (the case went another way)",
  // incidents
  incidents_title: "Incidents", nav_incidents: "Incidents",
  incidents_intro: "The automatic steps of these cases (a timer, the handling of an agency's answer) failed; each case is held where it was and the others go on. Fix the procedure or the variables and retry, or cancel the case.",
  incidents_none: "No incident matches.", incidents_count: "{n} in all", incident_filters: "Filter incidents", incident_filter: "Filter",
  incident_step: "Step", incident_kind: "Kind", incident_message: "Error", incident_attempts: "Attempts", incident_last_failure: "Last failure",
  incident_open: "Open", incident_resolved: "Resolved", incident_all: "All", incident_procedure_key: "Procedure key",
  incident_kind_procedure_error: "Procedure error", incident_kind_resource_limit: "Resource limit", incident_kind_step_limit: "Loop without a wait",
  incident_kind_internal_error: "System error", incident_kind_interrupted: "Interrupted", incident_resolution_retried: "Retried", incident_resolution_cancelled: "Case cancelled",
  incident_resolution_case_closed: "Case closed", incident_reason: "Reason", incident_variables: "Corrected variables (JSON, optional)",
  incident_retry: "Retry", incident_cancel: "Cancel case", incident_retried: "Case {case} retried: it goes on.",
  incident_cancelled: "Case {case} cancelled.", incident_failed_again: "Case {case} failed again:",
  incident_bad_json: "Corrected variables must be a JSON object, e.g. {\"n\": 2}.", incident_reason_needed: "Cancelling a case needs a reason.",
};
export const DICTIONARIES = {
  "zh-TW": { ...zh, ...BACKOFFICE["zh-TW"], ...IMPROVEMENT["zh-TW"] },
  en: { ...en, ...BACKOFFICE.en, ...IMPROVEMENT.en },
};
const HTML_LANG = { "zh-TW": "zh-Hant-TW", en: "en" };

export function currentLanguage() {
  const saved = localStorage.getItem("onestop.lang");
  return saved in DICTIONARIES ? saved : "zh-TW";
}

export function setLanguage(lang) {
  localStorage.setItem("onestop.lang", lang);
  document.documentElement.lang = HTML_LANG[lang];
}

/** Whether the dictionaries have a text for ``key`` (for codes that may have one). */
export function hasText(key) {
  return key in DICTIONARIES["zh-TW"];
}

export function t(key, vars = {}) {
  const text = DICTIONARIES[currentLanguage()][key] ?? DICTIONARIES["zh-TW"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

// The labels of codes (form options, procedures, lanes, channels, agencies and their answers;
// GET /api/vocabulary), loaded once at start.
let vocabulary = { options: {}, procedures: {}, lanes: {}, channels: {}, agencies: {}, operations: {},
  answer_fields: {}, answer_values: {}, failures: {} };

export async function loadVocabulary() {
  try {
    const response = await fetch("/api/vocabulary", { headers: { Accept: "application/json" } });
    if (response.ok) vocabulary = { ...vocabulary, ...(await response.json()) };
  } catch (failure) {
    console.error(failure); // the codes themselves are shown instead
  }
}

function labelled(labels, code) {
  if (!labels) return String(code ?? "—");
  return currentLanguage() === "en" ? labels.en : labels.zh;
}

/** What a person reads for an option code: its label in the current language, else the code. */
export const optionLabel = (code) => labelled(vocabulary.options[code], code);
/** A procedure's name in the current language, else its key. */
export const procedureName = (key) => labelled(vocabulary.procedures[key], key);
export const laneName = (lane) => (lane ? labelled(vocabulary.lanes[lane], lane) : "—");
export const channelName = (channel) => labelled(vocabulary.channels[channel] || vocabulary.options[channel], channel);
export const agencyName = (key, fallback) => (vocabulary.agencies[key] ? labelled(vocabulary.agencies[key]) : localName(fallback || key));
export const operationName = (key) => labelled(vocabulary.operations[key], key);
export const answerField = (key) => labelled(vocabulary.answer_fields[key], key.replace(/_/g, " "));
export const failureName = (code) => labelled(vocabulary.failures[code], code);

/** An agency's answer value as words: yes/no, a known status, else the value itself. */
export function answerValue(value) {
  if (value === true) return t("yes_word");
  if (value === false) return t("no_word");
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string" && vocabulary.answer_values[value]) return labelled(vocabulary.answer_values[value]);
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) return formatDate(value);
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The half of a bilingual BPMN name ("受理申請 Receive application") in the current language;
 * a name in one language only is shown as it is. */
export function localName(name) {
  if (!name) return "";
  const match = /^(\S*[\u3400-\u9fff]\S*)\s+([A-Za-z].*)$/.exec(name.trim());
  if (!match) return name;
  return currentLanguage() === "en" ? match[2] : match[1];
}

// Dates: the office's default is the ROC calendar (民國 115 年 12 月 2 日); Gregorian on request.
export function currentCalendar() {
  return localStorage.getItem("onestop.calendar") === "gregorian" ? "gregorian" : "roc";
}

export function setCalendar(calendar) {
  localStorage.setItem("onestop.calendar", calendar === "gregorian" ? "gregorian" : "roc");
}

const OFFICE_ZONE = "Asia/Taipei";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Year, month, day, hour, minute of a moment in the office's time zone; a bare date
 * (YYYY-MM-DD) is that calendar day. */
function partsOf(value) {
  const bare = typeof value === "string" && /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (bare) return { y: Number(bare[1]), m: Number(bare[2]), d: Number(bare[3]), time: null };
  const moment = new Date(value);
  if (Number.isNaN(moment.getTime())) return null;
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", { timeZone: OFFICE_ZONE, year: "numeric",
    month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .formatToParts(moment).map((part) => [part.type, part.value]));
  return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day), time: `${parts.hour}:${parts.minute}` };
}

/** A date as the office writes it: 民國 115 年 12 月 2 日 (or 2026 年 12 月 2 日, 2 Dec 2026...). */
export function formatDate(value) {
  if (!value) return "—";
  const parts = partsOf(value);
  if (!parts) return String(value);
  const { y, m, d } = parts;
  const month = MONTHS[m - 1];
  if (currentCalendar() === "gregorian") return t("greg_date", { y, m, d, month });
  return y > 1911 ? t("roc_date", { y: y - 1911, m, d, month }) : t("roc_date_before", { y: 1912 - y, m, d, month });
}

/** A moment: its date as formatDate writes it, and the time of day (24 h, office time). */
export function formatTime(value) {
  if (!value) return "—";
  const parts = partsOf(value);
  if (!parts) return String(value);
  return parts.time ? `${formatDate(value)} ${parts.time}` : formatDate(value);
}

/** Items listed as the language lists them: 甲、乙 or A, B. */
export function joined(items) {
  return items.join(currentLanguage() === "en" ? ", " : "、");
}
