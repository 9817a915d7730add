"""What the automatic fixes say they did (each rewrite, for the designer to review with the diff)."""

from __future__ import annotations

from engine.definitions.kinds.base import kinds, phrase

KINDS = kinds(
    phrase("fix-title-implicit-splits", "Insert the parallel gateways", "插入平行閘道"),
    phrase("fix-title-quote-timers", "Quote the timer values", "為計時器的值加上引號"),
    phrase(
        "rewrite-quote-timer",
        'Wrote the {field} of {element} in quotes: "{value}".',
        '將{element}的 {field} 加上引號："{value}"。',
    ),
    phrase("fix-title-assign-lane", "Put the unassigned tasks in a lane", "將未指派的工作放入泳道"),
    phrase("fix-title-make-executable", "Mark the process executable", "將流程標示為可執行"),
    phrase(
        "rewrite-implicit-split",
        "Inserted parallel gateway '{gateway}' after {element}: its flows {flows} now leave the gateway, so all "
        "of them are followed at the same time, as the diagram meant.",
        "在{element}之後插入平行閘道「{gateway}」：原本的流出線 {flows} 改由閘道流出，因此會如圖所示同時進行。",
    ),
    phrase(
        "rewrite-assign-lane",
        "Put {element} in lane '{lane}': the group '{lane}' works it.",
        "將{element}放入泳道「{lane}」：由群組「{lane}」處理。",
    ),
    phrase(
        "rewrite-new-lane",
        "Added lane '{lane}' to {process} for the tasks that were in no lane.",
        "在{process}中新增泳道「{lane}」，放入原本不在任何泳道的工作。",
    ),
    phrase(
        "rewrite-make-executable",
        'Marked {process} as executable (isExecutable="true"): cases can start on it once nothing else blocks it.',
        '將{process}標示為可執行（isExecutable="true"）：沒有其他阻礙後即可開始案件。',
    ),
)
