"""The document stores: a local folder and an S3-compatible bucket (moto's server, over HTTP on a
loopback port), the same contract; and an engine built on S3 attaches, verifies and serves files."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace

import boto3
import pytest

from bootstrap import build_engine
from engine import commands as cmd
from engine import files_from_folder
from engine.storage import DocumentMissing, FolderDocumentStore, S3DocumentStore
from tests.api.online_helpers import PDF, PNG
from tests.conftest import BPMN

REGION = "us-east-1"


@pytest.fixture(scope="module")
def s3_url():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_url, monkeypatch) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "onestop-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "onestop-test")
    name = f"documents-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_url, region_name=REGION).create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["folder", "s3"])
def store(request, tmp_path):
    if request.param == "folder":
        return FolderDocumentStore(tmp_path / "documents")
    bucket = request.getfixturevalue("bucket")
    return S3DocumentStore(bucket, prefix="office-1", endpoint_url=request.getfixturevalue("s3_url"), region=REGION)


def test_a_store_keeps_gives_back_and_removes_bytes(store):
    store.put("documents/2026/03/a", PDF, "application/pdf")
    store.put("documents/2026/03/b", PNG, "image/png")
    assert store.get("documents/2026/03/a") == PDF and store.get("documents/2026/03/b") == PNG
    store.delete("documents/2026/03/a")
    with pytest.raises(DocumentMissing):
        store.get("documents/2026/03/a")
    store.delete("documents/2026/03/a")  # removing what is gone is no error
    assert store.health()["status"] == "ok"


@pytest.mark.parametrize("key", ["../etc/passwd", "/absolute", "a/../../b", "a//b", "", "spaces in it"])
def test_a_store_refuses_keys_that_could_leave_its_place(store, key):
    with pytest.raises(ValueError):
        store.put(key, PDF, "application/pdf")


def test_a_missing_bucket_is_reported_down(s3_url, bucket):
    assert S3DocumentStore(bucket, endpoint_url=s3_url, region=REGION).health()["status"] == "ok"
    gone = S3DocumentStore("no-such-bucket", endpoint_url=s3_url, region=REGION).health()
    assert gone["status"] == "down" and gone["store"] == "s3"


def test_an_engine_on_s3_attaches_verifies_and_serves_files(settings, clock, s3_url, bucket):
    s3_settings = replace(settings, document_store="s3", s3_bucket=bucket, s3_prefix="office-1", s3_endpoint_url=s3_url)
    engine = build_engine(s3_settings, clock)
    try:
        engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "household_transcript"), actor="designer"))
        case_id = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk")).case_id
        engine.handle(cmd.AttachDocuments(case_id, (cmd.Upload("id.pdf", PDF, "national_id_card"),), actor="clerk"))
        assert engine.health_checks["document_store"]()["status"] == "ok"
        client = boto3.client("s3", endpoint_url=s3_url, region_name=REGION)
        [stored] = client.list_objects_v2(Bucket=bucket)["Contents"]
        assert stored["Key"].startswith("office-1/documents/")
        assert engine.verify_case(case_id).ok
        with engine.read() as session:
            from engine.storage import queries

            [row] = queries.case_documents(session, case_id)
        served, content = engine.document(case_id, row.id)
        assert content == PDF and served.sha256 == hashlib.sha256(PDF).hexdigest()
        # Changed in the bucket behind the office's back: verification names the file.
        client.put_object(Bucket=bucket, Key=stored["Key"], Body=PDF + b"%changed\n")
        result = engine.verify_case(case_id)
        assert not result.ok and "id.pdf" in result.problems[0]
    finally:
        engine.dispose()
