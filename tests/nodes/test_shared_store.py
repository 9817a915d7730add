"""Every node must keep attached files where the others read them: the first node's store gets a
mark the database records; a node whose store lacks it (a local folder of its own) refuses to
start, with a message saying what to configure."""

from __future__ import annotations

import pytest

from engine.background import DocumentStoreNotShared, check_shared_document_store
from engine.storage import FolderDocumentStore


def test_nodes_on_one_store_start_and_a_node_with_a_folder_of_its_own_refuses(engine, tmp_path):
    shared = tmp_path / "shared"
    first = check_shared_document_store(engine.db, FolderDocumentStore(shared))
    assert check_shared_document_store(engine.db, FolderDocumentStore(shared)) == first  # a second node, same mount

    own = FolderDocumentStore(tmp_path / "node-b")
    with pytest.raises(DocumentStoreNotShared) as refused:
        check_shared_document_store(engine.db, own)
    assert "ONESTOP_DOCUMENT_FOLDER" in refused.value.message and str(tmp_path / "node-b") in refused.value.message
    assert not (tmp_path / "node-b" / "onestop-store-mark").exists()  # it leaves nothing behind in the wrong store

    # A full copy of the store (moved to another disk or bucket) carries the mark with it.
    copied = FolderDocumentStore(tmp_path / "copy")
    copied.put("onestop-store-mark", (shared / "onestop-store-mark").read_bytes(), "text/plain")
    assert check_shared_document_store(engine.db, copied) == first
