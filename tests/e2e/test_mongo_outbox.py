"""Wire-level tests of the MongoDB store's outbox (src/store/mongo_outbox.c).

tests/tools/outbox_store_client drives the public outbox API against
MockupDB and each test plays the server: it checks the commands the C code
sends (a find and a findAndModify per element for a claim, guarded updates
for sent and failed, the stats aggregates, the outbox state a put adds) and
replies: what FerretDB ignores (write concern) or does differently
(findAndModify is atomic on MongoDB only).  The whole conformance suite,
outbox group included, runs on FerretDB (ctest store.ferretdb), and the
last test here runs the outbox round trip on one.  Run under Debian's interpreter:

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
# An outbox id names its request by _id, never by the token, a secret the
# mailer would otherwise write into its log lines.
OID = ObjectId('6b11088e6b05cfcad41c126c')
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
    """The createIndexes of a handle's first use (one index per command),
    with the outbox index."""
    specs = {}
    for coll, n in (('requests', 7), ('attachments.files', 2),
                    ('attachments.chunks', 1), ('log_entries', 1)):
        for _ in range(n):
            r = expect_write(server, 'createIndexes', coll)
            (ix,) = r.doc['indexes']
            specs[ix['name']] = ix
            r.replies()
    assert list(specs[INDEX]['key'].items()) == [('outbox.status', 1),
                                                 ('outbox.due_ms', 1)]
    assert not specs[INDEX].get('unique', False)


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


def expect_pick(server, now, docs):
    """The claim's first step: one find over the requests with an element
    due (any element: FerretDB has no $elemMatch over fields), projecting
    token and outbox; the reply is docs."""
    r = expect(server, 'find')
    assert r.doc['filter'] == {'outbox.status': 'due',
                               'outbox.due_ms': {'$lte': now}}
    assert r.doc['projection'] == {'token': 1, 'outbox': 1}
    r.replies(cursor('requests', [
        {'_id': d['_id'], 'token': d['token'], 'outbox': d['outbox']} for d in docs]))


def expect_claim(server, now, lease, owner, index, doc):
    """The second step for element index of doc: a findAndModify that names
    the request by _id and token and the element by its index (no
    positional $), atomic on its document on MongoDB."""
    r = expect_write(server, 'findAndModify')
    k = 'outbox.%d.' % index
    assert r.doc['query'] == {'_id': doc['_id'], 'token': doc['token'], k + 'status': 'due',
                              k + 'due_ms': {'$lte': now},
                              k + 'lease_until_ms': {'$lte': now}}
    assert r.doc['update'] == {'$set': {
        k + 'lease_until_ms': now + lease, k + 'owner': owner}}
    assert not r.doc.get('new', False)    # the document as it was before
    assert not r.doc.get('upsert', False)
    assert 'hint' not in r.doc and 'sort' not in r.doc
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
    expect_pick(server, now, [doc])
    expect_claim(server, now, lease, 'mailer-1', 1, doc).replies(value(doc))
    rc, out, err = c.finish()
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == 'claimed 1'
    assert lines[1] == '%s:1 confirmation 2 %d r@example.org' % (
        doc['_id'], RECEIVED_MS + 5)
    assert TOKEN not in lines[1]
    request = json.loads(lines[2])
    # The request comes back as the caller stored it: no _id, no outbox.
    assert list(request) == ['token', 'reference', 'idempotency_key',
                             'received_ms', 'notifications']
    assert request['token'] == TOKEN
    expect_nothing_more(server)


def test_claim_takes_the_oldest_due_first_and_stops_at_max(server):
    now, lease = RECEIVED_MS + 100, 1000
    c = Client(server, 'claim', now, lease, 'm', 2)
    drive_indexes(server)
    later = stored_doc([('due', 0, '', 0), ('due', 0, '', 0)])
    later['token'] = 'later-' + TOKEN[6:]
    for e in later['outbox']:
        e['due_ms'] = Int64(e['due_ms'] + 50)
    # Element 1 of the first is leased by another, and the picks are made
    # across documents by due_ms: the first's element 0, then the later
    # one's element 0, never its element 1 (max is 2).
    first = stored_doc([('due', 0, '', 0), ('due', now + 5, 'x', 0)])
    expect_pick(server, now, [later, first])
    expect_claim(server, now, lease, 'm', 0, first).replies(value(first))
    expect_claim(server, now, lease, 'm', 0, later).replies(
        value(later))
    rc, out, err = c.finish()
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == 'claimed 2'
    assert lines[1].startswith('%s:0 staff_alert 0 %d a@example.org,'
                               'b@example.org' % (first['_id'], RECEIVED_MS))
    assert lines[3].startswith('%s:0 staff_alert 0 %d ' % (
        later['_id'], RECEIVED_MS + 50))
    expect_nothing_more(server)


def test_claim_lost_to_another_claimer_is_skipped(server):
    now, lease = RECEIVED_MS + 100, 1000
    c = Client(server, 'claim', now, lease, 'm', 5)
    drive_indexes(server)
    doc = stored_doc([('due', 0, '', 0), ('due', 0, '', 0)])
    expect_pick(server, now, [doc])
    expect_claim(server, now, lease, 'm', 0, doc).replies(no_value())
    expect_claim(server, now, lease, 'm', 1, doc).replies(value(doc))
    rc, out, err = c.finish()
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == 'claimed 1'
    assert lines[1].startswith('%s:1 confirmation ' % doc['_id'])
    expect_nothing_more(server)


def test_claim_error_is_unavailable(server):
    c = Client(server, 'claim', 5, 10, 'm', 3)
    drive_indexes(server)
    expect(server, 'find').command_err(code=10107,
                                       errmsg='not writable primary')
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'unavailable\n'), err


def test_claim_error_after_a_claim_returns_what_was_claimed(server):
    now = RECEIVED_MS + 100
    c = Client(server, 'claim', now, 10, 'm', 3)
    drive_indexes(server)
    doc = stored_doc([('due', 0, '', 0), ('due', 0, '', 0)])
    expect_pick(server, now, [doc])
    expect_claim(server, now, 10, 'm', 0, doc).replies(value(doc))
    expect_claim(server, now, 10, 'm', 1, doc).command_err(
        code=10107, errmsg='not writable primary')
    rc, out, err = c.finish()
    assert rc == 0, err
    assert out.splitlines()[0] == 'claimed 1'


def test_sent_sends_update_guarded_by_owner_and_lease(server):
    c = Client(server, 'sent', str(OID) + ':1', 'mailer-1', 5000)
    drive_indexes(server)
    r = expect_write(server, 'update')
    (u,) = r.doc['updates']
    assert u['q'] == {'_id': OID, 'outbox.1.status': 'due',
                      'outbox.1.owner': 'mailer-1',
                      'outbox.1.lease_until_ms': {'$gt': 5000}}
    assert u['u'] == {'$set': {'outbox.1.status': 'sent',
                               'outbox.1.sent_ms': 5000}}
    assert not u.get('multi') and not u.get('upsert')
    r.replies(n=1, nModified=1)
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'ok\n'), err


def test_sent_without_a_match_is_notfound(server):
    c = Client(server, 'sent', str(OID) + ':0', 'late', 5000)
    drive_indexes(server)
    expect_write(server, 'update').replies(n=0, nModified=0)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'notfound\n'), err


def test_failed_retry_sends_guarded_update(server):
    c = Client(server, 'failed', str(OID) + ':0', 'mailer-1', 'retry', 9000,
               '421 try again later')
    drive_indexes(server)
    r = expect_write(server, 'update')
    (u,) = r.doc['updates']
    assert u['q'] == {'_id': OID, 'outbox.0.status': 'due',
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
    c = Client(server, 'failed', str(OID) + ':1', 'mailer-1', 'final', 0,
               '550 no such user')
    drive_indexes(server)
    r = expect_write(server, 'update')
    (u,) = r.doc['updates']
    assert u['q'] == {'_id': OID, 'outbox.1.status': 'due',
                      'outbox.1.owner': 'mailer-1'}
    assert u['u'] == {
        '$set': {'outbox.1.lease_until_ms': 0,
                 'outbox.1.last_error': '550 no such user',
                 'outbox.1.status': 'failed'},
        '$inc': {'outbox.1.attempts': 1}}
    r.replies(n=0, nModified=0)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'notfound\n'), err


@pytest.mark.parametrize('bad', ['', 'nocolon', ':1', str(OID) + ':',
                                 str(OID) + ':x', str(OID) + ':01',
                                 TOKEN + ':1', 'g' * 24 + ':1',
                                 str(OID)[:-1] + ':1', 'x' * 64 + ':1'])
def test_malformed_id_is_notfound_without_a_round_trip(server, bad):
    c = Client(server, 'sent', bad, 'm', 5)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'notfound\n'), err
    expect_nothing_more(server)


def expect_stats(server, counts, oldest):
    """The stats' two aggregates (no $min: FerretDB has none), replying
    counts to the first and oldest (a first_due_ms or None) to the second."""
    r = expect(server, 'aggregate')
    assert r.doc['pipeline'] == [
        {'$match': {'outbox.status': {'$in': ['due', 'sent', 'failed']}}},
        {'$project': {'outbox.status': 1}},
        {'$unwind': '$outbox'},
        {'$group': {'_id': '$outbox.status', 'n': {'$sum': 1}}}]
    r.replies(cursor('requests', counts))
    r = expect(server, 'aggregate')
    assert r.doc['pipeline'] == [
        {'$match': {'outbox.status': 'due'}},
        {'$project': {'outbox.status': 1, 'outbox.first_due_ms': 1}},
        {'$unwind': '$outbox'},
        {'$match': {'outbox.status': 'due'}},
        {'$sort': {'outbox.first_due_ms': 1}},
        {'$limit': 1}]
    r.replies(cursor('requests', [] if oldest is None else [
        {'_id': ObjectId(), 'outbox': {'status': 'due',
                                       'first_due_ms': Int64(oldest)}}]))


def test_stats_aggregate(server):
    now = RECEIVED_MS + 100
    c = Client(server, 'stats', now)
    drive_indexes(server)
    expect_stats(server, [{'_id': 'sent', 'n': 7}, {'_id': 'due', 'n': 3},
                          {'_id': 'failed', 'n': Int64(2)}], RECEIVED_MS)
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'due 3 oldest %d sent 7 failed 2\n'
                         % RECEIVED_MS), err


def test_stats_oldest_is_zero_when_nothing_is_due_yet(server):
    c = Client(server, 'stats', RECEIVED_MS - 1)
    drive_indexes(server)
    expect_stats(server, [{'_id': 'due', 'n': 1}], RECEIVED_MS)
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'due 1 oldest 0 sent 0 failed 0\n'), err


def test_stats_error_is_unavailable(server):
    c = Client(server, 'stats', RECEIVED_MS)
    drive_indexes(server)
    expect(server, 'aggregate').replies(cursor('requests', [
        {'_id': 'due', 'n': 1}]))
    expect(server, 'aggregate').command_err(code=238, errmsg='not implemented')
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'unavailable\n'), err


def test_outbox_round_trip_on_ferretdb(tmp_path):
    """put, claim, sent, failed and stats on a real server (FerretDB), with
    the stored outbox state read back with pymongo."""
    import pymongo
    from harness import Docstore
    ds = Docstore(tmp_path).start()
    mongo = pymongo.MongoClient(ds.uri)
    try:
        def run(*args):
            env = dict(os.environ, MONGOC_DISABLE_SHM='1')
            p = subprocess.run([CLIENT, ds.uri] + [str(a) for a in args],
                               capture_output=True, text=True, env=env,
                               timeout=60)
            for mark in SANITIZER_MARKS:
                assert mark not in p.stderr, p.stderr
            assert p.returncode == 0, p.stdout + p.stderr
            return p.stdout

        assert run('put') == 'ok\n'
        now = RECEIVED_MS + 10
        out = run('claim', now, 1000, 'm1', 10).splitlines()
        assert out[0] == 'claimed 2'
        oid = str(mongo[DB].requests.find_one()['_id'])
        assert out[1].startswith(oid + ':0 staff_alert 0 ')
        assert out[3].startswith(oid + ':1 confirmation 0 ')
        assert run('claim', now, 1000, 'm2', 10) == 'claimed 0\n'
        assert run('sent', oid + ':0', 'm1', now + 1) == 'ok\n'
        assert run('failed', oid + ':1', 'm1', 'retry', now + 5000,
                   '421') == 'ok\n'
        (doc,) = list(mongo[DB].requests.find())
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
            oid, now + 5000)
        # ... and once failed for good it no longer counts.
        assert run('failed', oid + ':1', 'm2', 'final', 0,
                   '550') == 'ok\n'
        assert run('stats', now + 5000) == \
            'due 0 oldest 0 sent 1 failed 1\n'
    finally:
        mongo.close()
        ds.stop()
