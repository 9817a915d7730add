// The improvement loop's words (findings, what-if, effects of deploys), merged into i18n.js's dictionaries.
const zh = {
  nav_improvement: "流程改善", improvement_title: "流程改善：從評價、陳情與瓶頸到改善",
  improvement_intro: "依期間內的案件排出改善建議，每一項都附上所依據的案件與流程圖上的位置；提出的改版或人力調整可先以過去一段期間的真實來件試算，部署後再比較前後成效。",
  findings_title: "改善建議排名", all_procedures: "全部申辦項目", finding_all_kinds: "全部類型", finding_kind: "類型",
  finding_kind_step_wait: "逾時停留的步驟", finding_kind_missing_document: "最常缺漏的文件",
  finding_kind_agency_fallback: "查驗失敗改人工", finding_kind_low_rating: "低評價的申辦項目",
  findings_caption: "改善建議（依涉及案件數排序）", findings_summary: "期間內收件 {n} 件，共 {candidates} 項改善建議。",
  findings_none: "期間內收件 {n} 件，沒有改善建議。", finding_rank: "名次", finding_subject: "對象", finding_figures: "數據",
  finding_cases: "案件", finding_diagram: "流程圖", finding_show_element: "在流程圖上顯示",
  finding_cases_link: "{n} 件案件", finding_more_cases: "另有 {n} 件",
  finding_step_figures: "超過標準時間共 {hours} 辦公小時；停留中位數 {median} 小時、P90 {p90} 小時（{instances} 次）",
  finding_document_figures: "一次告知 {rounds} 輪列為缺件；其中 {open} 件至今未補",
  finding_agency_figures: "{checks} 次查驗中 {failures} 次失敗（{share}），改由人工處理：{errors}",
  finding_rating_figures: "平均 {mean} 分，{ratings} 筆評價中 {low} 筆低評價；申請人陳情類別：{complaints}",
  finding_no_complaints: "無", finding_diagram_heading: "{procedure} 第 {version} 版：{element}",
  finding_element_elsewhere: "這個步驟不在這張流程圖上。",
};

const en = {
  nav_improvement: "Improvement", improvement_title: "Improving the procedures: from ratings, complaints and bottlenecks",
  improvement_intro: "The improvement candidates of a period, each with the cases behind it and its place on the diagram; a proposed version or staffing change can be tried on the real arrivals of a past period first, and its effect measured before and after it is deployed.",
  findings_title: "Improvement candidates, ranked", all_procedures: "All procedures", finding_all_kinds: "All kinds", finding_kind: "Kind",
  finding_kind_step_wait: "Step where cases overran", finding_kind_missing_document: "Document most often missing",
  finding_kind_agency_fallback: "Agency check fell back to manual", finding_kind_low_rating: "Procedure rated low",
  findings_caption: "Improvement candidates (by cases behind them)", findings_summary: "{n} cases received in the period; {candidates} candidates.",
  findings_none: "{n} cases received in the period; no candidate.", finding_rank: "Rank", finding_subject: "What", finding_figures: "Figures",
  finding_cases: "Cases", finding_diagram: "Diagram", finding_show_element: "Show on the diagram",
  finding_cases_link: "{n} cases", finding_more_cases: "{n} more",
  finding_step_figures: "{hours} office hours beyond the standard; open median {median} h, p90 {p90} h ({instances} times)",
  finding_document_figures: "named missing in {rounds} notice rounds; {open} not brought yet",
  finding_agency_figures: "{failures} of {checks} checks failed ({share}) and went to manual work: {errors}",
  finding_rating_figures: "mean {mean}, {low} low of {ratings} ratings; its applicants' complaints: {complaints}",
  finding_no_complaints: "none", finding_diagram_heading: "{procedure} version {version}: {element}",
  finding_element_elsewhere: "This step is not on this diagram.",
};

export const IMPROVEMENT = { "zh-TW": zh, en };
