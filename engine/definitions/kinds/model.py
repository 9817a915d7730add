"""Kinds of findings about the process model: processes and drafts, flows, calls, decisions,
events and timers, data stores, and what SpiffWorkflow's parser refuses."""

from __future__ import annotations

from engine.definitions.kinds.base import error, fixable, kinds, note, phrase, warning

MAKE_EXECUTABLE = "make-executable"
IMPLICIT_SPLITS = "implicit-splits"
QUOTE_TIMERS = "quote-timers"

KINDS = kinds(
    # ---------------------------------------------------------------- processes, drafts, the main process
    error(
        "process-without-id",
        "A process has no id. Give it one in the modeler.",
        "有一個流程沒有 id。請在建模工具中設定 id。",
    ),
    note(
        "process-documentation",
        '{process} is marked as not executable (isExecutable="false"): it is kept as documentation '
        "(for example the pool of another participant) and never runs. Nothing to fix.",
        '{process}標示為不可執行（isExecutable="false"）：它作為說明文件保留（例如其他參與者的泳池），不會執行。不需處理。',
    ),
    fixable(
        "process-draft",
        MAKE_EXECUTABLE,
        '{process} is marked as not executable (isExecutable="false"), so the upload is a draft: it is '
        "stored, but no case can start on it. It was checked as if it were executable: the other findings "
        'say what would still block it. When it is ready, tick "Executable" in the modeler, or accept '
        "the fix that marks it executable.",
        '{process}標示為不可執行（isExecutable="false"），因此這次上傳是草稿：會儲存，但無法用來開始案件。系統已把它當作可執行流程完整檢查，其他檢查結果列出仍會妨礙執行的問題。準備好後，請在建模工具中勾選「可執行」，或接受「標示為可執行」的自動修正。',
    ),
    error(
        "main-process-unknown",
        "The main process '{requested}' is not an executable process of this bundle. Processes found: {found}.",
        "主流程「{requested}」不是此檔案組中的可執行流程。找到的流程：{found}。",
    ),
    error(
        "no-process-loaded",
        "No BPMN process could be loaded, so no case can be started. Fix the errors above.",
        "沒有任何 BPMN 流程能夠載入，因此無法開始案件。請先修正上面的錯誤。",
    ),
    error(
        "no-process",
        "The bundle contains no BPMN process. Add the .bpmn file of the procedure.",
        "檔案組中沒有 BPMN 流程。請加入流程的 .bpmn 檔。",
    ),
    error(
        "no-executable-process",
        "The bundle has no executable process that could be loaded, so no case can be started. Fix the errors above.",
        "檔案組中沒有能載入的可執行流程，因此無法開始案件。請先修正上面的錯誤。",
    ),
    error(
        "all-processes-called",
        "Every executable process is called by a call activity, so none of them is the process to start "
        "cases on. Name the main process when deploying.",
        "每個可執行流程都被呼叫活動呼叫，因此沒有一個是開始案件的流程。部署時請指定主流程。",
    ),
    error(
        "main-process-ambiguous",
        "Cannot tell which process starts the cases: {candidates} are not called by any call activity. "
        "Name the main process when deploying, or mark the pools that are only drawn (another "
        "participant's) as not executable.",
        "無法判斷哪一個流程用來開始案件：{candidates} 都沒有被呼叫活動呼叫。部署時請指定主流程，或將只是畫出來的泳池（其他參與者的）標示為不可執行。",
        draft=True,
    ),
    # ---------------------------------------------------------------- sequence flows
    error(
        "flow-end-missing",
        "Sequence flow '{flow}' has no {attribute}. Connect both ends of the arrow in the modeler.",
        "順序流「{flow}」沒有 {attribute}。請在建模工具中把箭頭的兩端都接好。",
    ),
    error(
        "flow-end-unknown",
        "Sequence flow '{flow}' {role} element '{ref}' which does not exist in this process. Reconnect the "
        "arrow in the modeler or delete it.",
        "順序流「{flow}」{role}的元素「{ref}」不存在於此流程中。請在建模工具中重新連接箭頭，或刪除它。",
    ),
    phrase("role-source", "starts at", "起點"),
    phrase("role-target", "points to", "終點"),
    error(
        "flow-without-condition",
        "{flow} leaves {origin} without a condition. Give it a condition, or make it the gateway's default flow.",
        "{flow}從{origin}出發，但沒有條件。請設定條件，或將它設為閘道的預設流向。",
    ),
    phrase("a-gateway", "a gateway", "閘道"),
    fixable(
        "implicit-split",
        IMPLICIT_SPLITS,
        "{element} has {count} outgoing sequence flows ({flows}) without conditions, which in BPMN means "
        '"follow all of them at the same time"; the engine needs a parallel gateway for that. Accept the '
        "fix that inserts the gateway after the task, or draw it yourself (or an exclusive gateway, to "
        "choose one path).",
        "{element}有 {count} 條沒有條件的流出順序流（{flows}），在 BPMN 中表示「同時走所有路徑」；引擎需要平行閘道才能這樣執行。請接受在此工作後插入平行閘道的自動修正，或自行畫上閘道（若只選一條路徑則用互斥閘道）。",
    ),
    error(
        "implicit-split-conditional",
        "{element} has {count} outgoing sequence flows ({flows}), some with conditions. The engine does not "
        "split the flow after a task by itself: add an inclusive gateway after the task (to follow every "
        "path whose condition holds) or an exclusive gateway (to choose one), and move the conditions onto "
        "its flows.",
        "{element}有 {count} 條流出順序流（{flows}），其中有些有條件。引擎不會自行在工作之後分流：請在工作後加入包容閘道（走所有條件成立的路徑）或互斥閘道（只選一條），並把條件移到閘道的流出線上。",
        draft=True,
    ),
    # ---------------------------------------------------------------- calls and decisions
    error(
        "call-without-target",
        "{element} does not say which process it calls. Choose the called process in the modeler (calledElement).",
        "{element}沒有指定要呼叫哪一個流程。請在建模工具中選擇被呼叫的流程（calledElement）。",
    ),
    error(
        "call-to-draft",
        "{element} calls process '{target}', which is marked as not executable (a draft). Make that process executable.",
        "{element}呼叫的流程「{target}」標示為不可執行（草稿）。請將該流程設為可執行。",
    ),
    error(
        "call-to-missing",
        "{element} calls process '{target}', which is not in the bundle. Add the BPMN file that defines "
        "'{target}', or correct the called process id.",
        "{element}呼叫的流程「{target}」不在檔案組中。請加入定義「{target}」的 BPMN 檔，或更正被呼叫流程的 id。",
    ),
    error(
        "decision-not-named",
        "{element} does not say which decision to evaluate. Choose the DMN decision in the modeler "
        "(spiffworkflow:calledDecisionId). {listing}",
        "{element}沒有指定要評估哪一個決策。請在建模工具中選擇 DMN 決策（spiffworkflow:calledDecisionId）。{listing}",
    ),
    error(
        "decision-missing",
        "{element} evaluates decision '{decision}', which is not in the bundle. Add the .dmn file that "
        "defines it, or correct the decision id. {listing}",
        "{element}要評估的決策「{decision}」不在檔案組中。請加入定義它的 .dmn 檔，或更正決策 id。{listing}",
    ),
    phrase("decisions-listed", "Decisions in the bundle: {decisions}.", "檔案組中的決策：{decisions}。"),
    phrase("decisions-none", "The bundle has no DMN decision.", "檔案組中沒有 DMN 決策。"),
    error(
        "decision-table-unreadable",
        "The decision table cannot be read: it needs a decision with an id that holds one decision table. "
        "Check it in the modeler.",
        "無法讀取決策表：需要一個有 id、且內含一張決策表的決策。請在建模工具中檢查。",
    ),
    error(
        "decision-duplicate",
        "Decision '{decision}' is defined in two files ({first} and {second}). Rename one.",
        "決策「{decision}」在兩個檔案中都有定義（{first} 與 {second}）。請重新命名其中一個。",
    ),
    error(
        "dmn-output-invalid",
        "The output {output} of {element} in the decision table is not a valid Python expression. Fix it "
        "in the decision table editor (texts need quotes).",
        "決策表中{element}的輸出值 {output} 不是正確的 Python 運算式。請在決策表編輯器中修正（文字需加引號）。",
    ),
    # ---------------------------------------------------------------- events
    error(
        "catch-event-without-type",
        "{element} has no event type. Choose one in the modeler (timer, message, signal, error, escalation) "
        "or remove the event.",
        "{element}沒有事件類型。請在建模工具中選擇一種（計時器、訊息、信號、錯誤、升級），或刪除此事件。",
    ),
    error(
        "reference-undefined",
        "{element} refers to {what} '{ref}', which is not defined. Choose an existing {what} in the modeler or define it.",
        "{element}引用的{what}「{ref}」沒有定義。請在建模工具中選擇已存在的{what}，或定義它。",
    ),
    error(
        "reference-undefined-unknown",
        "{element} refers to a message, signal, error or escalation that is not defined. Check its event "
        "settings in the modeler.",
        "{element}引用了未定義的訊息、信號、錯誤或升級。請在建模工具中檢查它的事件設定。",
    ),
    phrase("ref-message", "message", "訊息"),
    phrase("ref-signal", "signal", "信號"),
    phrase("ref-error", "error", "錯誤"),
    phrase("ref-escalation", "escalation", "升級"),
    note(
        "definition-unused",
        "{element} is defined at the top of the file but no event uses it, so it is ignored. Nothing to "
        "fix (delete it in the modeler to tidy up).",
        "{element}定義在檔案最上層，但沒有任何事件使用它，因此會被略過。不需處理（可在建模工具中刪除以保持整潔）。",
    ),
    error(
        "definition-by-reference",
        "{element} uses the event definition '{ref}' from the top of the file (eventDefinitionRef), which "
        "the engine does not follow. Set the event's type on the event itself in the modeler.",
        "{element}透過 eventDefinitionRef 使用檔案最上層的事件定義「{ref}」，引擎不支援這種寫法。請在建模工具中直接在事件上設定類型。",
        draft=True,
    ),
    # ---------------------------------------------------------------- timers
    error(
        "timer-without-time",
        '{timer} has no time set. Give it a timeDuration (e.g. "P5D"), a timeDate or a timeCycle.',
        '{timer}沒有設定時間。請設定 timeDuration（例如 "P5D"）、timeDate 或 timeCycle。',
    ),
    phrase("timer-of", "The timer of {event}", "{event}的計時器"),
    phrase("timer-named", "The timer '{timer}' of {event}", "{event}的計時器「{timer}」"),
    error(
        "timer-empty",
        "{timer} has an empty {field}. Write a value in quotes, e.g. {example}.",
        "{timer}的 {field} 是空的。請寫上以引號括住的值，例如 {example}。",
    ),
    fixable(
        "timer-unquoted",
        QUOTE_TIMERS,
        "{timer} has the {field} {value} without quotes, as other modellers write it. Timer values are Python "
        'expressions here, so it must be written in double quotes: "{value}". Accept the fix that quotes the '
        "timer values, or write the quotes in the modeler.",
        "{timer}的 {field} {value} 沒有加引號（其他建模工具的寫法）。此處計時器的值是 Python 運算式，必須用雙引號括住："
        '"{value}"。請接受「為計時器的值加上引號」的自動修正，或在建模工具中加上引號。',
    ),
    error(
        "timer-not-python",
        "{timer} has a {field} that is not accepted as a Python expression: {problem}. Write a value in quotes, e.g. {example}.",
        "{timer}的 {field} 不是可接受的 Python 運算式：{problem}。請寫上以引號括住的值，例如 {example}。",
    ),
    error(
        "timer-not-text",
        "{timer} has the {field} {value}, which is not text. Write an ISO 8601 value in quotes, e.g. {example}.",
        "{timer}的 {field} {value} 不是文字。請寫上以引號括住的 ISO 8601 值，例如 {example}。",
    ),
    error(
        "timer-spaces",
        '{timer} has the {field} "{value}", with spaces inside the quotes, which the engine cannot read. '
        'Write it as "{trimmed}".',
        '{timer}的 {field} "{value}" 在引號內有空白，引擎無法讀取。請寫成 "{trimmed}"。',
    ),
    warning(
        "timer-unknown-function",
        "{timer} calls {function}() in its {field}, which is neither a Python builtin nor a registered script "
        "function. Check the spelling or register the function.",
        "{timer}的 {field} 呼叫了 {function}()，它既不是 Python 內建函式，也不是已註冊的指令碼函式。請檢查拼字或註冊此函式。",
    ),
    error(
        "timer-duration-invalid",
        "{timer} has a timeDuration problem: {problem}.",
        "{timer}的 timeDuration 有問題：{problem}。",
    ),
    error(
        "timer-date-is-duration",
        '{timer} has the timeDate "{value}", which is a duration. A timeDate needs a date and time such as '
        '"2026-01-02T09:00:00+08:00"; to wait for a period, change the timer type to a duration (timeDuration).',
        '{timer}的 timeDate "{value}" 是一段期間。timeDate 需要日期與時間，例如 "2026-01-02T09:00:00+08:00"；若要等待一段期間，請把計時器類型改為期間（timeDuration）。',
    ),
    error("timer-date-invalid", "{timer} has a timeDate problem: {problem}.", "{timer}的 timeDate 有問題：{problem}。"),
    warning(
        "timer-naive",
        '{timer} has the {field} "{value}" without a UTC offset, so it would be read in the server\'s time '
        'zone. Add the offset, e.g. "2026-01-02T09:00:00+08:00".',
        '{timer}的 {field} "{value}" 沒有 UTC 時差，會以伺服器的時區解讀。請加上時差，例如 "2026-01-02T09:00:00+08:00"。',
    ),
    error(
        "timer-cycle-not-repetition",
        '{timer} has the timeCycle "{value}", which is not an ISO 8601 repetition. Write "R<count>/<duration>", '
        'e.g. "R3/P2D" (3 times, every 2 days).',
        '{timer}的 timeCycle "{value}" 不是 ISO 8601 重複格式。請寫成 "R<次數>/<期間>"，例如 "R3/P2D"（每 2 天一次，共 3 次）。',
    ),
    error(
        "timer-cycle-invalid", "{timer} has a timeCycle problem: {problem}.", "{timer}的 timeCycle 有問題：{problem}。"
    ),
    phrase(
        "duration-no-p",
        '"{value}" is not an ISO 8601 duration: it must start with P, e.g. "P5D" or "PT4H"',
        '"{value}" 不是 ISO 8601 期間：必須以 P 開頭，例如 "P5D" 或 "PT4H"',
    ),
    phrase(
        "duration-invalid",
        '"{value}" is not a valid ISO 8601 duration. Examples: "P5D" (5 days), "PT4H" (4 hours), '
        '"P1M" (1 month), "P2W" (2 weeks)',
        '"{value}" 不是正確的 ISO 8601 期間。例如："P5D"（5 天）、"PT4H"（4 小時）、"P1M"（1 個月）、"P2W"（2 週）',
    ),
    phrase("duration-zero", '"{value}" has no length. Write e.g. "P5D"', '"{value}" 沒有長度。請寫成例如 "P5D"'),
    phrase(
        "duration-too-long",
        '"{value}" is longer than 100 years, which is surely a mistake',
        '"{value}" 超過 100 年，應該是寫錯了',
    ),
    phrase(
        "date-invalid",
        '"{value}" is not a valid ISO 8601 date and time such as "2026-01-02T09:00:00+08:00"',
        '"{value}" 不是正確的 ISO 8601 日期時間，例如 "2026-01-02T09:00:00+08:00"',
    ),
    phrase(
        "cycle-invalid",
        '"{value}" is not a valid ISO 8601 repetition. Write e.g. "R3/P2D" (3 times, every 2 days) or '
        '"R/P1D" (every day)',
        '"{value}" 不是正確的 ISO 8601 重複格式。請寫成例如 "R3/P2D"（每 2 天一次，共 3 次）或 "R/P1D"（每天）',
    ),
    # ---------------------------------------------------------------- data
    note(
        "data-store",
        "{element} is a data store, which the engine does not connect to: it is carried along as "
        "documentation, and its associations with tasks have no effect. Keep the data the case needs in "
        "its variables (form fields, script results). Nothing to fix unless a task relied on it.",
        "{element}是資料儲存，引擎不會連接它：它會作為說明文件保留，與工作之間的關聯不產生作用。案件需要的資料請放在案件變數中（表單欄位、指令碼結果）。除非有工作依賴它，否則不需處理。",
    ),
    error(
        "data-association-unresolved",
        "{element} reads or writes the data '{ref}', which is not a data object of this process. Connect "
        "it to a data object of the same process in the modeler, or delete the association.",
        "{element}讀寫的資料「{ref}」不是此流程的資料物件。請在建模工具中將它連到同一流程的資料物件，或刪除此關聯。",
    ),
    # ---------------------------------------------------------------- the parser
    error(
        "element-unsupported",
        "{element} is not supported by the engine. Replace it with a supported element (user, manual, "
        "script or service task, business rule task, call activity, subprocess, exclusive, inclusive, "
        "parallel or event-based gateway, or an event).",
        "引擎不支援{element}。請改用支援的元素（使用者、人工、指令碼、服務或業務規則工作、呼叫活動、子流程、互斥、包容、平行或事件閘道，或事件）。",
        draft=True,
    ),
    error(
        "complex-gateway",
        "{element} is not supported by the engine. Replace it with exclusive, inclusive or parallel gateways.",
        "引擎不支援{element}。請改用互斥、包容或平行閘道。",
        draft=True,
    ),
    error(
        "service-without-operator",
        "{element} has no operator. Choose the operation it calls in the modeler "
        "(spiffworkflow:serviceTaskOperator). {operators}",
        "{element}沒有指定操作。請在建模工具中選擇它要呼叫的操作（spiffworkflow:serviceTaskOperator）。{operators}",
    ),
    phrase("operators-listed", "Registered operators: {names}.", "已註冊的操作：{names}。"),
    phrase("operators-none", "No operators are registered.", "沒有已註冊的操作。"),
    error(
        "no-start-event",
        "{element} has no start event. Add a start event where cases begin.",
        "{element}沒有開始事件。請在案件開始的地方加入開始事件。",
    ),
    error(
        "duplicate-process",
        "Two processes have the id '{id}'. Process ids must be unique in the bundle: rename one of them.",
        "有兩個流程的 id 都是「{id}」。檔案組中的流程 id 必須唯一：請重新命名其中一個。",
    ),
    error(
        "chain-too-long",
        "{element} is part of a chain of elements too long for the engine. Move part of the procedure into "
        "a call activity or subprocess.",
        "{element}所在的元素串連太長，引擎無法處理。請把部分流程移到呼叫活動或子流程中。",
    ),
    error(
        "element-unreadable",
        "{element} could not be read by the engine. Check this element's settings in the modeler (a "
        "missing name, id or type? an extension property without a name?).",
        "引擎無法讀取{element}。請在建模工具中檢查此元素的設定（是否缺少名稱、id 或類型？是否有沒有名稱的擴充屬性？）。",
    ),
    error(
        "process-unloadable",
        "{where} could not be loaded by the engine. Check it in the modeler; if it looks right, report this "
        "message (the server log holds the details).",
        "引擎無法載入{where}。請在建模工具中檢查；若看起來沒有問題，請回報此訊息（細節記在伺服器日誌中）。",
    ),
    warning(
        "unconnected",
        "{element} is not connected to the start event, so it will never run. Connect it with sequence flows or delete it.",
        "{element}沒有連到開始事件，因此永遠不會執行。請用順序流連接它，或刪除它。",
    ),
    error(
        "expression-invalid",
        "The {what} of {element} is not accepted as a Python expression: {problem}. Fix the expression `{code}`.",
        "{element}的{what}不是可接受的 Python 運算式：{problem}。請修正運算式 `{code}`。",
    ),
    phrase("what-condition", "condition", "條件"),
    phrase("what-loop-condition", "loop condition", "迴圈條件"),
    phrase("what-loop-cardinality", "loop cardinality", "迴圈次數"),
    phrase("what-completion-condition", "completion condition", "完成條件"),
    phrase("what-dmn-expression", "decision table expression", "決策表運算式"),
    # ---------------------------------------------------------------- required steps (engine/definitions/required_steps.py)
    error(
        "required-step-skipped",
        "[required-steps] A path from the start ends at {element} without passing the required step {steps}. "
        "Connect it so that it passes the step, or, if a case may rightly end here without it, give this end "
        "event the property withoutRequiredSteps = true.",
        "[必經步驟] 有一條從開始出發的路徑在{element}結束，沒有經過必經步驟{steps}。請連接使它經過該步驟；"
        "若案件可以正當地不經該步驟在此結束，請為此結束事件加上屬性 withoutRequiredSteps = true。",
    ),
    error(
        "required-step-dead-end",
        "[required-steps] A path from the start stops at {element} (it has no outgoing flow) without passing "
        "the required step {steps}. Connect it to the rest of the procedure.",
        "[必經步驟] 有一條從開始出發的路徑停在{element}（沒有流出的順序流），沒有經過必經步驟{steps}。請把它接回流程。",
    ),
    error(
        "required-step-unreachable",
        "[required-steps] The required step {element} cannot be reached from the start: connect a flow into it.",
        "[必經步驟] 從開始無法到達必經步驟{element}：請接上流入它的順序流。",
    ),
)
