"""Kinds of findings about reading the upload: the bundle, files, encodings, XML, JSON forms,
sizes, and the Python of scripts and expressions."""

from __future__ import annotations

from engine.definitions.kinds.base import error, kinds, note, phrase, warning

KINDS = kinds(
    # ---------------------------------------------------------------- the bundle
    error(
        "bundle-empty",
        "The bundle is empty. Upload at least one .bpmn file.",
        "沒有上傳任何檔案。請至少上傳一個 .bpmn 檔。",
    ),
    error(
        "bundle-too-many-files",
        "The bundle has {count} files; the limit is {limit}. Upload only the procedure's own files.",
        "上傳了 {count} 個檔案，上限是 {limit} 個。請只上傳這個流程自己的檔案。",
    ),
    error(
        "bundle-too-large",
        "The bundle is {size} bytes; the limit is {limit}. Remove files the procedure does not use.",
        "上傳的檔案共 {size} 位元組，上限是 {limit}。請移除流程用不到的檔案。",
    ),
    warning(
        "file-ignored",
        "Ignored file: only .bpmn (processes), .dmn (decision tables) and .json (forms) files are used.",
        "已略過此檔案：只使用 .bpmn（流程）、.dmn（決策表）與 .json（表單）檔。",
    ),
    error(
        "unexpected-error",
        "Validation could not finish {stage} because of an unexpected error in the validator. "
        "Check the file in the modeler; if it looks right, report this message (the server log holds the details).",
        "檢查在{stage}時發生非預期的錯誤而無法完成。請在建模工具中檢查此檔案；若看起來沒有問題，請回報此訊息（細節記在伺服器日誌中）。",
    ),
    phrase("stage-bundle", "checking the bundle", "檢查上傳檔案組"),
    phrase("stage-file", "reading the file", "讀取檔案"),
    phrase("stage-xml", "checking the XML", "檢查 XML 內容"),
    phrase("stage-dmn", "loading the decision table", "載入決策表"),
    phrase("stage-calls", "checking call activities and business rule tasks", "檢查呼叫活動與業務規則工作"),
    phrase("stage-tasks", "checking the tasks", "檢查各項工作"),
    phrase("stage-forms", "checking the forms", "檢查表單"),
    phrase("stage-rehearsal", "trying to start a case", "試著開始一件案件"),
    # ---------------------------------------------------------------- reading a file
    error(
        "file-too-large",
        "The file is {size} bytes; the limit is {limit}. Split it or remove unused content.",
        "此檔案有 {size} 位元組，上限是 {limit}。請拆分檔案或移除用不到的內容。",
    ),
    error(
        "file-empty",
        "The file is empty. Upload the file saved from the modeler.",
        "此檔案是空的。請上傳從建模工具儲存的檔案。",
    ),
    error(
        "file-binary",
        "The file cannot be read: it is a binary file, not text. Upload the file saved from the modeler.",
        "無法讀取此檔案：它是二進位檔，不是文字檔。請上傳從建模工具儲存的檔案。",
    ),
    error(
        "file-unknown-encoding",
        "The file cannot be read: its XML declaration names an unknown encoding. Save the file as UTF-8.",
        "無法讀取此檔案：XML 宣告中的編碼無法辨識。請將檔案另存為 UTF-8。",
    ),
    error(
        "file-bad-bytes",
        "The file cannot be read: it is not valid text in {encoding} (bad byte at position {position}). "
        "Save the file as UTF-8.",
        "無法讀取此檔案：它不是有效的 {encoding} 文字（第 {position} 個位元組有誤）。請將檔案另存為 UTF-8。",
    ),
    note(
        "file-converted",
        "The file was converted from {encoding} to UTF-8. Nothing to fix.",
        "此檔案已從 {encoding} 轉換為 UTF-8，不需處理。",
    ),
    phrase("encoding-utf8-bom", "UTF-8 with a byte order mark", "含位元組順序標記（BOM）的 UTF-8"),
    phrase("encoding-utf16-le", "UTF-16 (little endian)", "UTF-16（小端序）"),
    phrase("encoding-utf16-be", "UTF-16 (big endian)", "UTF-16（大端序）"),
    phrase("encoding-utf32", "UTF-32", "UTF-32"),
    error(
        "xml-doctype",
        "DOCTYPE and entity declarations are not allowed. Remove the <!DOCTYPE ...> part at the top "
        "of the file (modelers never write one).",
        "不允許 DOCTYPE 與實體（entity）宣告。請刪除檔案開頭的 <!DOCTYPE ...>（建模工具不會產生它）。",
    ),
    error(
        "xml-not-well-formed",
        "The file is not well-formed XML (line {row}, column {column}: {problem}). Open it in the "
        "modeler and save it again.",
        "此檔案不是格式正確的 XML（第 {row} 行第 {column} 欄：{problem}）。請用建模工具開啟後重新儲存。",
    ),
    phrase("xml-tag-mismatch", "an element is closed with another element's end tag", "元素的結束標記與開始標記不符"),
    phrase("xml-truncated", "the file ends before all its elements are closed", "檔案在所有元素結束前就中斷了"),
    phrase("xml-extra-content", "there is content after the root element", "根元素之後還有其他內容"),
    phrase("xml-bad-attribute", 'an attribute is not written as name="value"', '有屬性不是以 name="value" 的形式書寫'),
    phrase("xml-duplicate-attribute", "an element has the same attribute twice", "同一個元素有重複的屬性"),
    phrase("xml-ampersand", "an & is not written as &amp;", "& 符號沒有寫成 &amp;"),
    phrase("xml-less-than", "a < is not written as &lt;", "< 符號沒有寫成 &lt;"),
    phrase("xml-bad-name", "an element name is not valid", "元素名稱不正確"),
    phrase("xml-bad-character", "it holds a character XML does not allow", "含有 XML 不允許的字元"),
    phrase("xml-no-root", "there is no root element", "沒有根元素"),
    phrase("xml-other", "the XML cannot be read from here on", "從此處起無法解讀 XML"),
    error(
        "xml-too-deep",
        "The XML elements are nested more than 256 levels deep, which no modeler produces. Check that "
        "this is the right file.",
        "XML 元素巢狀超過 256 層，建模工具不會產生這種檔案。請確認上傳的是正確的檔案。",
    ),
    error(
        "xml-too-many-elements",
        "The file takes the bundle over the limit of {limit}. Split the procedure into smaller processes or bundles.",
        "此檔案使元素數量超過上限（{limit}）。請將流程拆成較小的流程或分批上傳。",
    ),
    phrase("limit-elements-file", "{count} XML elements", "每個檔案 {count} 個 XML 元素"),
    phrase(
        "limit-elements-bundle",
        "{count} XML elements in all the files of the bundle",
        "所有檔案合計 {count} 個 XML 元素",
    ),
    error(
        "not-bpmn",
        "This is not a {expected} file (its root element is '{root}' in namespace '{namespace}'). "
        "Export the diagram from the modeler as {expected} XML.",
        "這不是 {expected} 檔案（根元素是命名空間「{namespace}」中的「{root}」）。請從建模工具匯出為 {expected} XML。",
    ),
    # ---------------------------------------------------------------- identity
    error(
        "duplicate-id",
        "Two elements in this file have the id '{id}' ({first} on line {first_line} and {second}). "
        "Every id must be unique: rename one of them.",
        "此檔案中有兩個元素的 id 都是「{id}」（第 {first_line} 行的{first}，以及{second}）。每個 id 都必須唯一：請重新命名其中一個。",
    ),
    note(
        "vendor-extensions",
        "Settings of {vendor} (namespace '{namespace}', first used here) are carried along unchanged and "
        "ignored by the engine: they have no effect on how cases run. Nothing to fix unless you relied on them.",
        "{vendor} 的設定（命名空間「{namespace}」，首次出現於此）會原樣保留，但引擎不採用，不影響案件的執行。除非您依賴這些設定，否則不需處理。",
    ),
    phrase("vendor-unknown", "another modelling tool", "其他建模工具"),
    # ---------------------------------------------------------------- forms
    error(
        "form-file-unusable",
        "The form file {form} {problem}",
        "表單檔 {form}{problem}",
    ),
    phrase("form-empty", "is empty. It must hold a JSON Schema object.", "是空的。它必須是一個 JSON Schema 物件。"),
    phrase(
        "form-not-json",
        "is not valid JSON (line {line}, column {column}). Save it again from the form builder.",
        "不是正確的 JSON（第 {line} 行第 {column} 欄）。請從表單編輯器重新儲存。",
    ),
    phrase(
        "form-not-object",
        "must hold a JSON object ({{...}}), not {found}.",
        "必須是一個 JSON 物件（{{...}}），而不是{found}。",
    ),
    phrase(
        "form-invalid-schema",
        "is not a valid JSON Schema: at {where}, the keyword '{keyword}' has a value JSON Schema does not "
        "allow. Fix the form in the form builder.",
        "不是正確的 JSON Schema：在 {where}，關鍵字「{keyword}」的值不符合 JSON Schema 的規定。請在表單編輯器中修正。",
    ),
    phrase(
        "form-unusable",
        "cannot be used: it is nested too deeply or holds numbers too large to read. Save it again from "
        "the form builder.",
        "無法使用：巢狀太深或數字太大而無法讀取。請從表單編輯器重新儲存。",
    ),
    phrase("json-array", "an array", "陣列"),
    phrase("json-string", "a string", "字串"),
    phrase("json-number", "a number", "數字"),
    phrase("json-boolean", "true or false", "true 或 false"),
    phrase("json-null", "null", "null"),
    phrase("json-top-level", "the top level", "最上層"),
    warning(
        "form-unused",
        "No user task uses this form. Reference it from a user task ({property}) or remove it.",
        "沒有任何使用者工作使用此表單。請在使用者工作中引用它（{property}），或刪除此檔案。",
    ),
    # ---------------------------------------------------------------- sizes the engine stores
    error(
        "file-name-too-long",
        "The file name '{name}' has {length} characters; at most {limit} are kept. Rename the file.",
        "檔名「{name}」有 {length} 個字元，最多只能保存 {limit} 個。請重新命名檔案。",
    ),
    error(
        "process-id-too-long",
        "The process id '{id}' has {length} characters; a procedure's key has at most {limit}. Give the "
        "process a shorter id.",
        "流程 id「{id}」有 {length} 個字元，流程代碼最多 {limit} 個。請改用較短的 id。",
    ),
    error(
        "stored-name-too-long",
        "The {what} of element '{id}' has {length} characters; at most {limit} are stored. Shorten it.",
        "元素「{id}」的{what}有 {length} 個字元，最多只能儲存 {limit} 個。請縮短。",
    ),
    phrase("what-id", "id", "id"),
    phrase("what-name", "name", "名稱"),
    phrase("what-lane", "lane", "泳道"),
    phrase("what-form", "form (formJsonSchemaFilename)", "表單（formJsonSchemaFilename）"),
    # ---------------------------------------------------------------- Python in scripts and expressions
    error(
        "code-budget",
        "The bundle holds more than {limit} characters of scripts and expressions; the rest was not "
        "checked. Move long code into registered script functions.",
        "上傳的檔案中，指令碼與運算式超過 {limit} 個字元，其餘部分未檢查。請將冗長的程式碼改為已註冊的指令碼函式。",
    ),
    phrase(
        "python-too-long",
        "it is {length} characters long; the limit is {limit}",
        "長度為 {length} 個字元，上限是 {limit}",
    ),
    phrase("python-too-deep", "the code is nested too deeply", "程式碼巢狀太深"),
    phrase("python-nul", "it holds a NUL character", "含有 NUL 字元"),
    phrase("python-syntax", "line {line} is not valid Python", "第 {line} 行不是正確的 Python 語法"),
    phrase(
        "python-unclosed",
        "line {line} opens {bracket} and never closes it",
        "第 {line} 行的 {bracket} 沒有對應的結束括號",
    ),
    phrase(
        "python-unmatched",
        "line {line} closes {bracket} that was never opened",
        "第 {line} 行的 {bracket} 沒有對應的開始括號",
    ),
    phrase(
        "python-mismatched",
        "line {line} closes a bracket with the wrong kind",
        "第 {line} 行的結束括號與開始括號種類不同",
    ),
    phrase("python-indent", "line {line} is indented wrongly", "第 {line} 行的縮排不正確"),
    phrase(
        "python-string", "line {line} has a text (string) whose quote is never closed", "第 {line} 行的字串缺少結束引號"
    ),
    phrase("python-colon", "line {line} needs a ':' at its end", "第 {line} 行結尾缺少「:」"),
    phrase("python-incomplete", "the code ends in the middle of a statement", "程式碼在敘述中途就結束了"),
    phrase(
        "python-character",
        "line {line} holds a character Python does not accept here",
        "第 {line} 行含有 Python 不接受的字元",
    ),
    phrase(
        "python-assign",
        "line {line} assigns to something that cannot be assigned to",
        "第 {line} 行對無法指定的對象賦值",
    ),
    phrase("python-import", "line {line}: import statements are not allowed", "第 {line} 行：不允許 import 敘述"),
    phrase("python-class", "line {line}: class definitions are not allowed", "第 {line} 行：不允許定義類別（class）"),
    phrase(
        "python-underscore",
        "line {line}: the name {name} starts with an underscore, which the sandbox does not allow",
        "第 {line} 行：名稱 {name} 以底線開頭，沙箱不允許",
    ),
    phrase(
        "python-too-large",
        "line {line} builds a value too large for a script: {name}",
        "第 {line} 行計算的值太大，腳本不允許：{name}",
    ),
    phrase(
        "python-not-allowed",
        "line {line} uses a Python construct the sandbox does not allow",
        "第 {line} 行使用了沙箱不允許的 Python 語法",
    ),
)
