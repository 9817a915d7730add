"""Kinds of findings about tasks: scripts, services, who works a task (lanes and groups), SLA
marks, notices, forms, and the rehearsal of a case start."""

from __future__ import annotations

from engine.definitions.kinds.base import error, fixable, kinds, note, phrase, warning

ASSIGN_LANE = "assign-lane"

KINDS = kinds(
    # ---------------------------------------------------------------- scripts
    error(
        "script-missing",
        "{element} has no script. Write the script, or change it to another task type.",
        "{element}沒有指令碼。請撰寫指令碼，或改為其他工作類型。",
    ),
    error(
        "script-invalid",
        "The {what} of {element} is not accepted: {problem}. Fix the {what}.",
        "{element}的{what}無法接受：{problem}。請修正{what}。",
    ),
    phrase("what-script", "script", "指令碼"),
    phrase("what-prescript", "pre-script", "前置指令碼"),
    phrase("what-postscript", "post-script", "後置指令碼"),
    # ---------------------------------------------------------------- services
    error(
        "service-operator-unknown",
        "{element} calls the operator '{operator}', which is not registered. Choose a registered operator or "
        "register it. {operators}",
        "{element}呼叫的操作「{operator}」尚未註冊。請選擇已註冊的操作，或註冊它。{operators}",
    ),
    error(
        "service-needs-fallback",
        "{element} asks another agency ('{operator}'), which can fail to answer. Attach an error boundary event "
        "that leads to a task where a clerk checks by hand (see docs/agencies.md).",
        "{element}向其他機關查詢（「{operator}」），對方可能無法回應。請附加錯誤邊界事件，導向由承辦人人工查核的工作（見 docs/agencies.md）。",
    ),
    error(
        "service-parameter-invalid",
        "The parameter '{param}' of {element} is not accepted as a Python expression: {problem}. Fix `{code}` "
        "(to pass a text, write it in quotes).",
        "{element}的參數「{param}」不是可接受的 Python 運算式：{problem}。請修正 `{code}`（若要傳文字，請加引號）。",
    ),
    # ---------------------------------------------------------------- who works a task
    fixable(
        "task-without-lane",
        ASSIGN_LANE,
        "{element} is in no lane (unnamed lanes do not count), so no group could claim it: every clerk and "
        "supervisor would be refused. It cannot be deployed as it is: accept the fix that puts the "
        "unassigned tasks in a lane you choose ({groups}), or draw it into a lane named after the group "
        "that works it.",
        "{element}不在任何泳道中（沒有名稱的泳道不算），因此沒有任何群組能認領它：每位承辦人與主管都會被拒絕。目前無法部署：請接受「將未指派的工作放入您選擇的泳道」的自動修正（{groups}），或在建模工具中把它放進以負責群組命名的泳道。",
    ),
    note(
        "task-default-group",
        "{element} is in no lane: the office's default group '{group}' will work it (setting "
        "ONESTOP_DEFAULT_GROUP). To give it to another group, draw it into a lane named after that group.",
        "{element}不在任何泳道中：將由本所設定的預設群組「{group}」處理（設定 ONESTOP_DEFAULT_GROUP）。若要交給其他群組，請把它放進以該群組命名的泳道。",
    ),
    error(
        "lane-without-group",
        "{element} is in lane '{lane}', but the office has no group called '{lane}', so nobody could claim "
        "it. Rename the lane after the group that works it ({groups}), or create the group (ONESTOP_GROUPS, "
        "or a user with this group).",
        "{element}在泳道「{lane}」中，但本所沒有名為「{lane}」的群組，因此沒有人能認領它。請將泳道改名為負責的群組（{groups}），或建立此群組（ONESTOP_GROUPS，或指派此群組給使用者）。",
        draft=True,
    ),
    warning(
        "untyped-task",
        "{element} has no task type, so the engine waits for someone to complete it like a manual task. "
        "Make it a user, manual, script or service task.",
        "{element}沒有指定工作類型，引擎會像人工工作一樣等待有人完成它。請改為使用者、人工、指令碼或服務工作。",
    ),
    phrase("groups-listed", "groups: {names}", "群組：{names}"),
    phrase("groups-unknown", "the groups of the office", "本所的群組"),
    # ---------------------------------------------------------------- SLA and notices
    error(
        "sla-extension-invalid",
        "{element} has {property} = '{value}': write a positive number, the standard time (in the procedure's "
        "unit) the element adds each time it finishes.",
        "{element}的 {property} = 「{value}」：請填寫正數，表示此元素每次完成時增加的法定處理時間（以流程的單位計）。",
    ),
    error(
        "service-point-invalid",
        "{element} has {property} = '{value}': write 'true' on the element where the service is delivered, or "
        "remove the property.",
        "{element}的 {property} = 「{value}」：請在提供服務的元素上填寫 true，或移除此屬性。",
    ),
    error(
        "service-point-missing",
        "{element} has a standard processing time, so its diagram must say where the service is delivered: add "
        "the property {property} = true to that element (e.g. the step that issues the document or makes the "
        "registration). The SLA clock stops there; the rating and follow-ups after it do not count.",
        "{element}訂有標準處理時間，流程圖必須標明完成服務的位置：請在該元素（例如核發文件或完成登記的步驟）加上屬性 "
        "{property} = true。處理時間計算至此為止，其後的評價與追蹤不計入。",
        draft=True,
    ),
    error(
        "sla-standard-unknown",
        "{element} switches the case to the standard '{standard}' ({property}), which the catalogue does not have "
        "for {procedure}. Its standards: {known}.",
        "{element}將案件改依標準「{standard}」計時（{property}），但目錄中 {procedure} 沒有此標準。可用的標準：{known}。",
    ),
    error(
        "notice-on-wrong-task",
        "{element} has {property}, but only a user or manual task sends its notice (when someone completes "
        "it). Move the property to such a task.",
        "{element}設定了 {property}，但只有使用者或人工工作（有人完成時）才會發送通知。請把此屬性移到這類工作上。",
    ),
    error(
        "notice-unknown",
        "{element} asks for the notice '{notice}' ({property}), which the office has no text for, so nobody "
        "would be told. Known notices: {known}.",
        "{element}要求發送通知「{notice}」（{property}），但本所沒有此通知的內容，因此不會通知任何人。已知的通知：{known}。",
    ),
    # ---------------------------------------------------------------- forms of tasks
    error(
        "task-form-unreadable",
        "{element} uses the form file {form}, which cannot be read (see the finding about that file).",
        "{element}使用的表單檔 {form} 無法讀取（請見該檔案的檢查結果）。",
    ),
    error(
        "task-form-missing",
        "{element} uses the form file {form} ({property}), which is not in the bundle. Add the file or correct the name.",
        "{element}使用的表單檔 {form}（{property}）不在檔案組中。請加入此檔案或更正檔名。",
    ),
    error(
        "task-form-unusable",
        "{element} uses the form file {form}, which is not usable: it {problem}",
        "{element}使用的表單檔 {form} 無法使用：它{problem}",
    ),
    # ---------------------------------------------------------------- data objects
    error(
        "data-object-not-written",
        "{element} writes the data object '{data_object}' (a data output association), but completing it "
        "gives no value named '{data_object}' (no field of its form has that name), so the case would stop "
        "there with an error. Delete the association in the modeler (the data object can stay drawn as "
        "documentation), or name a form field after the data object.",
        "{element}寫入資料物件「{data_object}」（資料輸出關聯），但完成此工作時不會產生名為「{data_object}」的值（表單中沒有此名稱的欄位），案件會在此出錯停止。請在建模工具中刪除此關聯（資料物件可保留作為說明），或將某個表單欄位命名為此資料物件的名稱。",
        draft=True,
    ),
    error(
        "data-object-never-written",
        "{element} reads the data object '{data_object}' (a data input association), but no task writes it, "
        "so the case would stop there with an error. Delete the association in the modeler (the data object "
        "can stay drawn as documentation), or let an earlier task write it.",
        "{element}讀取資料物件「{data_object}」（資料輸入關聯），但沒有任何工作寫入它，案件會在此出錯停止。請在建模工具中刪除此關聯（資料物件可保留作為說明），或讓前面的工作寫入它。",
        draft=True,
    ),
    # ---------------------------------------------------------------- the rehearsal of a case start
    warning(
        "start-fails",
        "A case started without form data stops with an error at {element}. If every case is started with "
        "the data this element needs, nothing to fix; otherwise check its script or conditions.",
        "在沒有表單資料的情況下開始案件，會在{element}發生錯誤而停止。若每件案件開始時都帶有此元素需要的資料，則不需處理；否則請檢查它的指令碼或條件。",
    ),
    error(
        "start-impossible",
        "No case can be started on this procedure: the engine could not start it ({reason}). Check the start "
        "of the process in the modeler.",
        "此流程無法開始任何案件：引擎無法啟動它（{reason}）。請在建模工具中檢查流程的開頭。",
    ),
    phrase("start-timeout", "a script takes too long", "指令碼執行時間過長"),
    phrase("start-other", "the process stops at its start", "流程在開頭就停止"),
)
