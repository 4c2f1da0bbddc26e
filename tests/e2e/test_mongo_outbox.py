"""Wire-level tests of the MongoDB store's outbox (src/store/mongo_outbox.c).

tests/tools/outbox_store_client drives the public outbox API against
MockupDB and each test plays the server: it checks the commands the C code
sends (findAndModify for a claim, guarded updates for sent and failed, the
stats aggregate, the outbox state a put adds) and replies.  The whole
conformance suite, outbox group included, runs against the in-memory fake
in test_mongo_wire.py.  Run under Debian's interpreter:

    CALLIN_BUILD_DIR=build /usr/bin/python3 -m pytest -q tests/e2e/test_mongo_outbox.py
"""
import json
import os
import subprocess
import time

import pytest
from bson import ObjectId
from bson.int64 import Int64
from mockupdb import MockupDB

BUILD_DIR = os.environ.get('CALLIN_BUILD_DIR', '/work/main/build-mongo')
CLIENT = os.path.join(BUILD_DIR, 'outbox_store_client')

HELLO = {'ismaster': True, 'minWireVersion': 0, 'maxWireVersion': 13}
DB = 'callin'
WC = {'w': 'majority', 'j': True}
INDEX = 'outbox.status_1_outbox.due_ms_1'

# What outbox_store_client puts (see tests/tools/outbox_store_client.c).
TOKEN = 'dG9rZW4tZml4ZWQtZm9yLXdpcmUtdGVzdHM'
REFERENCE = 'CIR-7Q2M-K9X4'
IDEM = 'idem-0002'
RECEIVED_MS = 1795443909000

SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer',
                   'LeakSanitizer has encountered a fatal error',
                   'runtime error:', 'SUMMARY: UndefinedBehaviorSanitizer')


@pytest.fixture
def server():
    s = MockupDB(auto_ismaster=HELLO, request_timeout=15)
    s.autoresponds('hello', **HELLO)
    s.run()
    yield s
    s.stop()


class Client:
    """outbox_store_client running in the background against server."""

    def __init__(self, server, *args):
        if not os.access(CLIENT, os.X_OK):
            pytest.fail('%s not built (set CALLIN_BUILD_DIR)' % CLIENT)
        env = dict(os.environ, MONGOC_DISABLE_SHM='1')
        env.setdefault('ASAN_OPTIONS', 'detect_leaks=1')
        env.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1')
        uri = 'mongodb://%s/' % server.address_string
        self.proc = subprocess.Popen([CLIENT, uri] + [str(a) for a in args],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)

    def finish(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        out, err = out.decode(errors='replace'), err.decode(errors='replace')
        for mark in SANITIZER_MARKS:
            assert mark not in err, err
        return self.proc.returncode, out, err


def cursor(coll, docs=()):
    return {'cursor': {'id': Int64(0), 'ns': '%s.%s' % (DB, coll),
                       'firstBatch': list(docs)}}


def expect(server, name, coll='requests'):
    r = server.receives(timeout=15)
    assert r.command_name == name, r
    assert r.doc[name] == coll, r
    assert r.doc['$db'] == DB, r
    return r


def expect_write(server, name, coll='requests'):
    r = expect(server, name, coll)
    assert dict(r.doc['writeConcern']) == WC, r
    return r


def expect_nothing_more(server):
    with pytest.raises(AssertionError, match='got nothing'):
        server.receives(timeout=0.5)


def drive_indexes(server):
    """The createIndexes of a handle's first use, with the outbox index."""
    r = expect_write(server, 'createIndexes', 'requests')
    specs = {ix['name']: ix for ix in r.doc['indexes']}
    assert list(specs[INDEX]['key'].items()) == [('outbox.status', 1),
                                                 ('outbox.due_ms', 1)]
    assert not specs[INDEX].get('unique', False)
    r.replies()
    expect_write(server, 'createIndexes', 'attachments.files').replies()
    expect_write(server, 'createIndexes', 'attachments.chunks').replies()


def stored_doc(states):
    """A request as the backend stores it, with outbox states (status,
    lease_until_ms, owner, attempts) for its two notifications, neither
    retried yet."""
    return {
        '_id': ObjectId(),
        'token': TOKEN, 'reference': REFERENCE, 'idempotency_key': IDEM,
        'received_ms': Int64(RECEIVED_MS),
        'notifications': [
            {'kind': 'staff_alert', 'to': ['a@example.org', 'b@example.org']},
            {'kind': 'confirmation', 'to': ['r@example.org'],
             'due_ms': Int64(RECEIVED_MS + 5)}],
        'outbox': [
            {'status': st, 'due_ms': Int64(RECEIVED_MS + 5 * i),
             'first_due_ms': Int64(RECEIVED_MS + 5 * i),
             'attempts': att, 'lease_until_ms': Int64(lease), 'owner': owner}
            for i, (st, lease, owner, att) in enumerate(states)],
    }


def claim_filter(now):
    return {'outbox': {'$elemMatch': {
        'status': 'due', 'due_ms': {'$lte': now},
        'lease_until_ms': {'$lte': now}}}}


def expect_claim(server, now, lease, owner):
    r = expect_write(server, 'findAndModify')
    assert r.doc['query'] == claim_filter(now)
    assert r.doc['update'] == {'$set': {
        'outbox.$.lease_until_ms': now + lease, 'outbox.$.owner': owner}}
    assert r.doc['hint'] == INDEX
    assert not r.doc.get('new', False)    # the document as it was before
    assert not r.doc.get('upsert', False)
    assert 'sort' not in r.doc            # the hinted index gives the order
    return r


def no_value():
    return {'lastErrorObject': {'n': 0, 'updatedExisting': False},
            'value': None}


def value(doc):
    return {'lastErrorObject': {'n': 1, 'updatedExisting': True},
            'value': doc}


# ----------------------------------------------------------------- tests

def test_put_adds_outbox_state_after_the_document(server):
    c = Client(server, 'put')
    drive_indexes(server)
    r = expect_write(server, 'insert')
    (doc,) = r.doc['documents']
    assert [k for k in doc if k != '_id'] == [
        'token', 'reference', 'idempotency_key', 'received_ms',
        'notifications', 'outbox']
    # first_due_ms starts as due_ms; retries move due_ms only.
    assert doc['outbox'] == [
        {'status': 'due', 'due_ms': RECEIVED_MS, 'first_due_ms': RECEIVED_MS,
         'attempts': 0, 'lease_until_ms': 0, 'owner': ''},
        {'status': 'due', 'due_ms': RECEIVED_MS + 5,
         'first_due_ms': RECEIVED_MS + 5, 'attempts': 0,
         'lease_until_ms': 0, 'owner': ''}]
    assert all(isinstance(e[k], Int64) for e in doc['outbox']
               for k in ('due_ms', 'first_due_ms', 'lease_until_ms'))
    r.replies(n=1)
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'ok\n'), err
    expect_nothing_more(server)


def test_claim_sends_find_and_modify_with_majority_journal(server):
    now, lease = RECEIVED_MS + 100, 60000
    c = Client(server, 'claim', now, lease, 'mailer-1', 5)
    drive_indexes(server)
    # The first notification was sent already; the second is claimable.
    doc = stored_doc([('sent', 0, 'm0', 0), ('due', 0, '', 2)])
    expect_claim(server, now, lease, 'mailer-1').replies(value(doc))
    expect_claim(server, now, lease, 'mailer-1').replies(no_value())
    rc, out, err = c.finish()
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == 'claimed 1'
    assert lines[1] == '%s:1 confirmation 2 %d r@example.org' % (
        TOKEN, RECEIVED_MS + 5)
    request = json.loads(lines[2])
    # The request comes back as the caller stored it: no _id, no outbox.
    assert list(request) == ['token', 'reference', 'idempotency_key',
                             'received_ms', 'notifications']
    assert request['token'] == TOKEN
    expect_nothing_more(server)


def test_claim_stops_at_max(server):
    now, lease = RECEIVED_MS + 100, 1000
    c = Client(server, 'claim', now, lease, 'm', 2)
    drive_indexes(server)
    expect_claim(server, now, lease, 'm').replies(value(
        stored_doc([('due', 0, '', 0), ('due', 0, '', 0)])))
    # The same request again: its first element is leased now.
    expect_claim(server, now, lease, 'm').replies(value(
        stored_doc([('due', now + lease, 'm', 0), ('due', now - 1, 'x', 0)])))
    rc, out, err = c.finish()
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == 'claimed 2'
    assert lines[1].startswith('%s:0 staff_alert 0 %d a@example.org,'
                               'b@example.org' % (TOKEN, RECEIVED_MS))
    assert lines[3].startswith('%s:1 confirmation ' % TOKEN)
    expect_nothing_more(server)


def test_claim_error_is_unavailable(server):
    c = Client(server, 'claim', 5, 10, 'm', 3)
    drive_indexes(server)
    expect_claim(server, 5, 10, 'm').command_err(
        code=10107, errmsg='not writable primary')
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'unavailable\n'), err


def test_claim_error_after_a_claim_returns_what_was_claimed(server):
    now = RECEIVED_MS + 100
    c = Client(server, 'claim', now, 10, 'm', 3)
    drive_indexes(server)
    expect_claim(server, now, 10, 'm').replies(value(
        stored_doc([('due', 0, '', 0), ('sent', 0, 'm', 0)])))
    expect_claim(server, now, 10, 'm').command_err(
        code=10107, errmsg='not writable primary')
    rc, out, err = c.finish()
    assert rc == 0, err
    assert out.splitlines()[0] == 'claimed 1'


def test_sent_sends_update_guarded_by_owner_and_lease(server):
    c = Client(server, 'sent', TOKEN + ':1', 'mailer-1', 5000)
    drive_indexes(server)
    r = expect_write(server, 'update')
    (u,) = r.doc['updates']
    assert u['q'] == {'token': TOKEN, 'outbox.1.status': 'due',
                      'outbox.1.owner': 'mailer-1',
                      'outbox.1.lease_until_ms': {'$gt': 5000}}
    assert u['u'] == {'$set': {'outbox.1.status': 'sent',
                               'outbox.1.sent_ms': 5000}}
    assert not u.get('multi') and not u.get('upsert')
    r.replies(n=1, nModified=1)
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'ok\n'), err


def test_sent_without_a_match_is_notfound(server):
    c = Client(server, 'sent', TOKEN + ':0', 'late', 5000)
    drive_indexes(server)
    expect_write(server, 'update').replies(n=0, nModified=0)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'notfound\n'), err


def test_failed_retry_sends_guarded_update(server):
    c = Client(server, 'failed', TOKEN + ':0', 'mailer-1', 'retry', 9000,
               '421 try again later')
    drive_indexes(server)
    r = expect_write(server, 'update')
    (u,) = r.doc['updates']
    assert u['q'] == {'token': TOKEN, 'outbox.0.status': 'due',
                      'outbox.0.owner': 'mailer-1'}
    assert u['u'] == {
        '$set': {'outbox.0.lease_until_ms': 0,
                 'outbox.0.last_error': '421 try again later',
                 'outbox.0.due_ms': 9000, 'outbox.0.owner': ''},
        '$inc': {'outbox.0.attempts': 1}}
    r.replies(n=1, nModified=1)
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'ok\n'), err


def test_failed_final_sends_guarded_update(server):
    c = Client(server, 'failed', TOKEN + ':1', 'mailer-1', 'final', 0,
               '550 no such user')
    drive_indexes(server)
    r = expect_write(server, 'update')
    (u,) = r.doc['updates']
    assert u['q'] == {'token': TOKEN, 'outbox.1.status': 'due',
                      'outbox.1.owner': 'mailer-1'}
    assert u['u'] == {
        '$set': {'outbox.1.lease_until_ms': 0,
                 'outbox.1.last_error': '550 no such user',
                 'outbox.1.status': 'failed'},
        '$inc': {'outbox.1.attempts': 1}}
    r.replies(n=0, nModified=0)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'notfound\n'), err


@pytest.mark.parametrize('bad', ['', 'nocolon', ':1', TOKEN + ':',
                                 TOKEN + ':x', TOKEN + ':01',
                                 'x' * 64 + ':1'])
def test_malformed_id_is_notfound_without_a_round_trip(server, bad):
    c = Client(server, 'sent', bad, 'm', 5)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'notfound\n'), err
    expect_nothing_more(server)


def test_stats_aggregate(server):
    now = RECEIVED_MS + 100
    c = Client(server, 'stats', now)
    drive_indexes(server)
    r = expect(server, 'aggregate')
    assert r.doc['pipeline'] == [
        {'$match': {'outbox.status': {'$in': ['due', 'sent', 'failed']}}},
        {'$project': {'_id': 0, 'outbox.status': 1,
                      'outbox.first_due_ms': 1}},
        {'$unwind': '$outbox'},
        {'$group': {'_id': '$outbox.status', 'n': {'$sum': 1},
                    'oldest': {'$min': '$outbox.first_due_ms'}}}]
    r.replies(cursor('requests', [
        {'_id': 'sent', 'n': 7, 'oldest': Int64(1)},
        {'_id': 'due', 'n': 3, 'oldest': Int64(RECEIVED_MS)},
        {'_id': 'failed', 'n': Int64(2), 'oldest': Int64(2)}]))
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'due 3 oldest %d sent 7 failed 2\n'
                         % RECEIVED_MS), err


def test_stats_oldest_is_zero_when_nothing_is_due_yet(server):
    c = Client(server, 'stats', RECEIVED_MS - 1)
    drive_indexes(server)
    expect(server, 'aggregate').replies(cursor('requests', [
        {'_id': 'due', 'n': 1, 'oldest': Int64(RECEIVED_MS)}]))
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'due 1 oldest 0 sent 0 failed 0\n'), err


def test_outbox_round_trip_on_the_in_memory_server():
    """put, claim, sent, failed and stats through the in-memory fake: the
    claim's filter, positional update and hint work together."""
    from mongo_fake import FakeMongo
    fake = FakeMongo()
    fake.server.run()
    try:
        def run(*args):
            rc, out, err = Client(fake.server, *args).finish()
            assert rc == 0, out + err
            return out

        assert run('put') == 'ok\n'
        now = RECEIVED_MS + 10
        out = run('claim', now, 1000, 'm1', 10).splitlines()
        assert out[0] == 'claimed 2'
        assert out[1].startswith(TOKEN + ':0 staff_alert 0 ')
        assert out[3].startswith(TOKEN + ':1 confirmation 0 ')
        assert run('claim', now, 1000, 'm2', 10) == 'claimed 0\n'
        assert run('sent', TOKEN + ':0', 'm1', now + 1) == 'ok\n'
        assert run('failed', TOKEN + ':1', 'm1', 'retry', now + 5000,
                   '421') == 'ok\n'
        (doc,) = fake.data[(DB, 'requests')]
        assert doc['outbox'][0]['status'] == 'sent'
        assert doc['outbox'][0]['sent_ms'] == now + 1
        # The retry moves due_ms, never first_due_ms ...
        assert doc['outbox'][1] == {
            'status': 'due', 'due_ms': now + 5000,
            'first_due_ms': RECEIVED_MS + 5, 'attempts': 1,
            'lease_until_ms': 0, 'owner': '', 'last_error': '421'}
        # ... so the stats keep seeing it as old while it waits ...
        assert run('stats', now + 1) == \
            'due 1 oldest %d sent 1 failed 0\n' % (RECEIVED_MS + 5)
        assert run('stats', now + 5000) == \
            'due 1 oldest %d sent 1 failed 0\n' % (RECEIVED_MS + 5)
        out = run('claim', now + 5000, 1000, 'm2', 10).splitlines()
        assert out[0] == 'claimed 1'
        assert out[1] == '%s:1 confirmation 1 %d r@example.org' % (
            TOKEN, now + 5000)
        # ... and once failed for good it no longer counts.
        assert run('failed', TOKEN + ':1', 'm2', 'final', 0,
                   '550') == 'ok\n'
        assert run('stats', now + 5000) == \
            'due 0 oldest 0 sent 1 failed 1\n'
    finally:
        fake.server.stop()
