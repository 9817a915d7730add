"""definitions.main_file: the .bpmn file of the process cases start on

Revision ID: 1601
Revises: 0008
Create Date: 2026-12-02 10:00:00

A bundle holds its main process and the shared subprocesses it calls (document check, receipt,
intake, rating), each in its own file; the diagram views showed the alphabetically first file,
for six procedures the document check. Deploys record the main file now; the versions deployed
before are filled in here from their stored files.
"""

from alembic import op
import sqlalchemy as sa
from lxml import etree


revision = "1601"
down_revision = "0008"
branch_labels = None
depends_on = None

BPMN_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _defines(content: bytes, process_id: str) -> bool:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        return False
    return any(process.get("id") == process_id for process in root.iter(f"{{{BPMN_MODEL}}}process"))


def upgrade() -> None:
    with op.batch_alter_table("definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("main_file", sa.String(length=300), nullable=True))
    connection = op.get_bind()
    definitions = connection.execute(sa.text("SELECT id, process_key FROM definitions")).all()
    for definition_id, process_key in definitions:
        files = connection.execute(
            sa.text("SELECT name, content FROM definition_files WHERE definition_id = :id ORDER BY name"),
            {"id": definition_id},
        ).all()
        main = next(
            (name for name, content in files if name.lower().endswith(".bpmn") and _defines(content, process_key)),
            None,
        )
        if main is not None:
            connection.execute(
                sa.text("UPDATE definitions SET main_file = :name WHERE id = :id"), {"name": main, "id": definition_id}
            )


def downgrade() -> None:
    with op.batch_alter_table("definitions", schema=None) as batch_op:
        batch_op.drop_column("main_file")
