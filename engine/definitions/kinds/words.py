"""How findings name things: BPMN element types in plain words, and an element by id and name."""

from __future__ import annotations

from engine.definitions.findings import Text

# BPMN element types, as the Chinese texts name them (the English texts use BPMN's own names,
# which designers see in every modeller).
TYPE_NAMES_ZH = {
    "definitions": "BPMN 文件",
    "process": "流程",
    "collaboration": "協作圖",
    "participant": "泳池",
    "laneSet": "泳道組",
    "lane": "泳道",
    "task": "未指定類型的工作",
    "userTask": "使用者工作",
    "manualTask": "人工工作",
    "scriptTask": "指令碼工作",
    "serviceTask": "服務工作",
    "businessRuleTask": "業務規則工作",
    "sendTask": "傳送工作",
    "receiveTask": "接收工作",
    "callActivity": "呼叫活動",
    "subProcess": "子流程",
    "transaction": "交易子流程",
    "adHocSubProcess": "臨機子流程",
    "startEvent": "開始事件",
    "endEvent": "結束事件",
    "intermediateCatchEvent": "中間捕捉事件",
    "intermediateThrowEvent": "中間拋出事件",
    "boundaryEvent": "邊界事件",
    "exclusiveGateway": "互斥閘道",
    "inclusiveGateway": "包容閘道",
    "parallelGateway": "平行閘道",
    "eventBasedGateway": "事件閘道",
    "complexGateway": "複合閘道",
    "sequenceFlow": "順序流",
    "messageFlow": "訊息流",
    "association": "關聯",
    "textAnnotation": "文字註解",
    "dataStore": "資料儲存定義",
    "dataStoreReference": "資料儲存",
    "dataObject": "資料物件定義",
    "dataObjectReference": "資料物件",
    "dataInputAssociation": "資料輸入關聯",
    "dataOutputAssociation": "資料輸出關聯",
    "timerEventDefinition": "計時器定義",
    "messageEventDefinition": "訊息事件定義",
    "signalEventDefinition": "信號事件定義",
    "errorEventDefinition": "錯誤事件定義",
    "escalationEventDefinition": "升級事件定義",
    "message": "訊息",
    "signal": "信號",
    "error": "錯誤",
    "escalation": "升級",
    "decision": "決策",
    "decisionTable": "決策表",
    "rule": "規則",
    "outputEntry": "輸出值",
    "BPMNDiagram": "流程圖",
    "BPMNPlane": "流程圖平面",
    "BPMNShape": "圖形",
    "BPMNEdge": "連線",
}


def clean_name(name: str | None) -> str | None:
    """A name as a finding shows it: white space (line breaks from the modeller) collapsed."""
    if name is None:
        return None
    cleaned = " ".join(name.split())
    return cleaned or None


def type_text(element_type: str) -> Text:
    return Text(element_type, TYPE_NAMES_ZH.get(element_type, element_type))


def element_text(element_type: str, element_id: str | None, name: str | None = None) -> Text:
    """``userTask 'review' ("Review")`` / ``使用者工作 review「Review」``."""
    name = clean_name(name)
    zh_type = TYPE_NAMES_ZH.get(element_type, element_type)
    en = f"{element_type} '{element_id}'" + (f' ("{name}")' if name else "")
    zh = f"{zh_type} {element_id}" + (f"「{name}」" if name else "")
    return Text(en, zh)


def file_text(file: str | None) -> Text:
    return Text(f"File {file}", f"檔案 {file}") if file else Text("The bundle", "上傳的檔案組")


NONE = Text("none", "無")


def listing(items, empty: Text = NONE) -> Text:
    items = [str(item) for item in items]
    return Text(", ".join(items), "、".join(items)) if items else empty
