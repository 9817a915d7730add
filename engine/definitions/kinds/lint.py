"""Kinds of lint findings, after bpmnlint's recommended rules (every one a warning): the code is
bpmnlint's rule name."""

from __future__ import annotations

from engine.definitions.kinds.base import kinds, phrase, warning

KINDS = kinds(
    warning(
        "start-event-required",
        "[start-event-required] {element} has no start event. Add one, so that it is clear where it begins.",
        "[start-event-required] {element}沒有開始事件。請加上一個，讓人清楚它從哪裡開始。",
    ),
    warning(
        "end-event-required",
        "[end-event-required] {element} has no end event. Add one, so that it is clear where it ends.",
        "[end-event-required] {element}沒有結束事件。請加上一個，讓人清楚它在哪裡結束。",
    ),
    warning(
        "no-disconnected",
        "[no-disconnected] {element} is not connected to anything. Connect it with sequence flows or delete it.",
        "[no-disconnected] {element}沒有與任何元素相連。請用順序流連接它，或刪除它。",
    ),
    warning(
        "no-implicit-start",
        "[no-implicit-start] {element} has no incoming sequence flow, so it starts on its own. Connect it to "
        "the flow before it, or begin the process with a start event.",
        "[no-implicit-start] {element}沒有流入的順序流，因此會自行開始。請把它接到前面的流程，或以開始事件作為流程的起點。",
    ),
    warning(
        "no-implicit-end",
        "[no-implicit-end] {element} has no outgoing sequence flow, so the path silently ends there. Connect "
        "it to an end event.",
        "[no-implicit-end] {element}沒有流出的順序流，路徑會在此默默結束。請把它接到結束事件。",
    ),
    warning(
        "label-required",
        "[label-required] {element} has no label. Name it after {what}, so that the diagram can be read.",
        "[label-required] {element}沒有標籤。請以{what}為它命名，讓流程圖容易閱讀。",
    ),
    phrase("label-question", "the question it decides", "它所判斷的問題"),
    phrase("label-action", "what happens here", "此處所做的事"),
    warning(
        "conditional-flows",
        "[conditional-flows] {element} has conditional outgoing flows ({flows}) and no default flow: when no "
        "condition matches, the case stops with an error. Mark one flow as the default.",
        "[conditional-flows] {element}的流出線都有條件（{flows}），但沒有預設流向：若沒有任何條件成立，案件會出錯停止。請將其中一條設為預設流向。",
    ),
    warning(
        "superfluous-gateway",
        "[superfluous-gateway] {element} has one incoming and one outgoing flow, so it does nothing. Remove it.",
        "[superfluous-gateway] {element}只有一條流入與一條流出線，沒有作用。請刪除它。",
    ),
    warning(
        "fake-join",
        "[fake-join] {element} has {count} incoming flows: it runs once for each arriving path, it does not "
        "wait for all of them. Put a parallel gateway before it to wait for all paths, or an exclusive "
        "gateway to merge alternatives.",
        "[fake-join] {element}有 {count} 條流入線：每條路徑抵達時都會執行一次，並不會等待所有路徑。若要等待所有路徑，請在前面加平行閘道；若要合併選擇，請加互斥閘道。",
    ),
    warning(
        "no-gateway-join-fork",
        "[no-gateway-join-fork] {element} both merges and splits the flow. Use two gateways, one for each, so "
        "that each says one thing.",
        "[no-gateway-join-fork] {element}同時合併與分流。請改用兩個閘道，各負責一件事。",
    ),
    warning(
        "no-duplicate-sequence-flows",
        "[no-duplicate-sequence-flows] sequenceFlow '{flow}' connects {source} to {target} like '{other}' does. "
        "Delete one of them.",
        "[no-duplicate-sequence-flows] 順序流「{flow}」與「{other}」一樣連接 {source} 到 {target}。請刪除其中一條。",
    ),
    warning(
        "single-blank-start-event",
        "[single-blank-start-event] {element} is a second start event without a trigger in {owner}. Keep "
        "one blank start event, or give the others a message, timer or signal.",
        "[single-blank-start-event] {element}是{owner}中第二個沒有觸發條件的開始事件。請只保留一個空白開始事件，或為其他的設定訊息、計時器或信號。",
    ),
)
