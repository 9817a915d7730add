"""Every node must keep attached files where the others read them: the first node's store gets a
mark the database records; a node whose store lacks it (a local folder of its own) refuses to
start, with a message saying what to configure."""

from __future__ import annotations

from functools import partial

import pytest

from bootstrap import build_engine
from engine.background import DocumentStoreNotShared, check_shared_document_store
from engine.storage import FolderDocumentStore

from .helpers import at_once


def test_nodes_on_one_store_start_and_a_node_with_a_folder_of_its_own_refuses(engine, tmp_path):
    shared = tmp_path / "shared"
    first = check_shared_document_store(engine.db, FolderDocumentStore(shared))
    assert check_shared_document_store(engine.db, FolderDocumentStore(shared)) == first  # a second node, same mount

    own = FolderDocumentStore(tmp_path / "node-b")
    with pytest.raises(DocumentStoreNotShared) as refused:
        check_shared_document_store(engine.db, own)
    assert "ONESTOP_DOCUMENT_FOLDER" in refused.value.message and str(tmp_path / "node-b") in refused.value.message

    # A full copy of the store (moved to another disk or bucket) carries the mark with it.
    copied = FolderDocumentStore(tmp_path / "copy")
    for mark in (shared / "onestop-store-marks").iterdir():
        copied.put(f"onestop-store-marks/{mark.name}", mark.read_bytes(), "text/plain")
    assert check_shared_document_store(engine.db, copied) == first


def test_nodes_starting_at_once_on_one_store_all_start(settings, tmp_path):
    engines = [build_engine(settings) for _ in range(4)]  # as many nodes' connections
    store = FolderDocumentStore(tmp_path / "shared")
    outcomes = at_once([partial(check_shared_document_store, engine.db, store) for engine in engines])
    for engine in engines:
        engine.dispose()
    assert len(outcomes) == 4 and len(set(outcomes)) == 1 and isinstance(outcomes[0], str), outcomes
    assert [mark.name for mark in (tmp_path / "shared" / "onestop-store-marks").iterdir()] == [outcomes[0]]
