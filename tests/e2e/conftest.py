import pytest

from harness import STORE, Stack


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "only_store(name, why): the test is about one store's own mechanism "
        "(SQLite's lock, its files); on the other store it is reported skipped with why")


def pytest_collection_modifyitems(config, items):
    for item in items:
        m = item.get_closest_marker("only_store")
        if m is not None and m.args[0] != STORE:
            item.add_marker(pytest.mark.skip(
                reason=f"about the {m.args[0]} store only: {m.args[1]}"))


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
