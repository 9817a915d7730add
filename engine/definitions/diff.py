"""What changed between two versions of a procedure: BPMN/DMN elements added, removed or changed
(matched by id), and files added, removed or changed (forms are compared as files).

An element's content is its own attributes plus everything inside it that is no element of its
own (a script, a condition, a timer, extension properties, vendor extensions even when they carry
ids...), so a changed script shows as a change of its task. Diagram interchange (positions, shapes) is ignored: moving a box is not a change.
"""

from __future__ import annotations

import hashlib
from typing import Mapping

from lxml import etree

from engine.definitions.xml import Report, identified_elements, load_xml, local_name
from engine.storage import queries

DI_NAMESPACES = {
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "https://www.omg.org/spec/DMN/20191111/DMNDI/",
}
XML_SUFFIXES = (".bpmn", ".dmn")


def diff_bundles(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> dict:
    """``{"files": {...}, "elements": {"added": [...], "removed": [...], "changed": [...]}}``."""
    old_elements, new_elements = _elements(old), _elements(new)
    added = [_summary(new_elements[key]) for key in new_elements if key not in old_elements]
    removed = [_summary(old_elements[key]) for key in old_elements if key not in new_elements]
    changed = [
        change
        for key in old_elements
        if key in new_elements
        for change in [_change(old_elements[key], new_elements[key])]
        if change
    ]
    return {"files": _file_changes(old, new), "elements": {"added": added, "removed": removed, "changed": changed}}


def _file_changes(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> dict:
    digest = {name: hashlib.sha256(content).hexdigest() for name, content in old.items()}
    return {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": sorted(
            name for name in set(old) & set(new) if hashlib.sha256(new[name]).hexdigest() != digest[name]
        ),
    }


def _elements(files: Mapping[str, bytes]) -> dict[str, dict]:
    """Every semantic element with an id, by id, with what identifies its content."""
    found: dict[str, dict] = {}
    for name in sorted(files):
        if not name.lower().endswith(XML_SUFFIXES):
            continue
        _, root = load_xml(Report(), name, bytes(files[name]))
        if root is None:
            continue
        identified = set(identified_elements(root))
        for element in identified_elements(root, diagram=False):
            element_id = element.get("id")
            if etree.QName(element).namespace not in DI_NAMESPACES:
                found.setdefault(
                    element_id,
                    {
                        "id": element_id,
                        "type": local_name(element.tag),
                        "name": element.get("name"),
                        "file": name,
                        "attributes": _attributes(element),
                        "content": _content(element, identified),
                    },
                )
    return found


def _attributes(element: etree._Element) -> dict[str, str]:
    return {
        etree.QName(key).localname: value for key, value in sorted(element.attrib.items()) if key not in ("id", "name")
    }


def _content(element: etree._Element, identified: set) -> list[str]:
    """The element's inside, down to (not into) the children that are elements of their own (a
    vendor extension with an id is part of its element's content: identity as BPMN defines it)."""
    lines = []
    for child in element:
        if not isinstance(child.tag, str) or child in identified:
            continue
        if etree.QName(child).namespace in DI_NAMESPACES:
            continue
        attributes = " ".join(f"{etree.QName(k).localname}={v!r}" for k, v in sorted(child.attrib.items()))
        text = (child.text or "").strip()
        lines.append(f"{local_name(child.tag)}[{attributes}]" + (f": {text}" if text else ""))
        lines += ["  " + line for line in _content(child, identified)]
    return lines


def _summary(element: dict) -> dict:
    return {key: element[key] for key in ("id", "type", "name", "file")}


def _change(old: dict, new: dict) -> dict | None:
    what = {}
    for aspect in ("type", "name", "attributes"):
        if old[aspect] != new[aspect]:
            what[aspect] = {"from": old[aspect], "to": new[aspect]}
    if old["content"] != new["content"]:
        what["content"] = {
            "removed": [line for line in old["content"] if line not in new["content"]],
            "added": [line for line in new["content"] if line not in old["content"]],
        }
    return {**_summary(new), "changes": what} if what else None


def diff_versions(session, process_key: str, from_version: int, to_version: int) -> dict:
    """The diff between two deployed versions (NotFound names the missing version)."""

    versions = {}
    for version in (from_version, to_version):
        definition = queries.definition_version(session, process_key, version)
        versions[version] = queries.definition_files(session, definition.id)
    return {
        "key": process_key,
        "from": from_version,
        "to": to_version,
        **diff_bundles(versions[from_version], versions[to_version]),
    }
