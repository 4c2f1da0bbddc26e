import os

import pytest

from harness import STORE, Stack

# FerretDB's findAndModify reads, then rewrites, the document without a lock
# (FerretDB #2168): two mailers claiming at once can both win one message.
FERRETDB = os.environ.get("CALLIN_TEST_DOCSTORE") == "ferretdb"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "only_store(name, why): the test is about one store's own mechanism "
        "(SQLite's lock, its files); on the other store it is reported skipped with why")
    config.addinivalue_line(
        "markers", "atomic_claims: concurrent outbox claimers, which need a findAndModify "
        "atomic on its document (SQLite's and MongoDB's, not FerretDB's)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        m = item.get_closest_marker("only_store")
        if m is not None and m.args[0] != STORE:
            item.add_marker(pytest.mark.skip(
                reason=f"about the {m.args[0]} store only: {m.args[1]}"))
        if FERRETDB and item.get_closest_marker("atomic_claims") is not None:
            item.add_marker(pytest.mark.skip(
                reason="concurrent claimers: FerretDB 1.24's findAndModify is not atomic "
                "(#2168); runs on SQLite and on a MongoDB named by MONGODB_URI"))


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def shared_stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("stack")).start()
    yield s
    s.stop()
