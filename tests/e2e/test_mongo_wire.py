"""Wire-level tests of the MongoDB store backend (src/store/*mongo*).

No MongoDB server exists here, so tests/tools/mongo_store_client (the
public store API on the command line) talks to MockupDB, a MongoDB
wire-protocol peer, and each test plays the server: it receives the
commands the C code sends, checks them in order, and replies.  Run under
Debian's interpreter:

    CALLIN_BUILD_DIR=build-mongo /usr/bin/python3 -m pytest -q tests/e2e/test_mongo_wire.py

The client binary may be built with -fsanitize=address,undefined; every run
is checked for sanitizer reports (LeakSanitizer included).
"""
import datetime
import hashlib
import os
import socket
import subprocess
import threading
import time
from collections import OrderedDict

import pytest
from bson import ObjectId
from bson.int64 import Int64
from mockupdb import MockupDB

BUILD_DIR = os.environ.get('CALLIN_BUILD_DIR', '/work/main/build-mongo')
CLIENT = os.path.join(BUILD_DIR, 'mongo_store_client')

HELLO = {'ismaster': True, 'minWireVersion': 0, 'maxWireVersion': 13}
DB = 'callin'
WC = {'w': 'majority', 'j': True}
CHUNK = 1024 * 1024

# What mongo_store_client puts (see tests/tools/mongo_store_client.c).
TOKEN = 'dG9rZW4tZml4ZWQtZm9yLXdpcmUtdGVzdHM'
REFERENCE = 'CIR-7Q2M-K9X4'
IDEM = 'idem-0001'

SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer',
                   'LeakSanitizer has encountered a fatal error',
                   'runtime error:', 'SUMMARY: UndefinedBehaviorSanitizer')


# --------------------------------------------------------------- helpers

@pytest.fixture
def server():
    s = MockupDB(auto_ismaster=HELLO, request_timeout=15)
    s.autoresponds('hello', **HELLO)
    s.run()
    yield s
    s.stop()


@pytest.fixture
def upload_file(tmp_path):
    """1.5 MiB: one full chunk written during a write, one at close."""
    data = os.urandom(CHUNK + CHUNK // 2)
    path = tmp_path / 'scan.pdf'
    path.write_bytes(data)
    return path, data


class Client:
    """mongo_store_client running in the background against a URI."""

    def __init__(self, uri, *args):
        if not os.access(CLIENT, os.X_OK):
            pytest.fail('%s not built (set CALLIN_BUILD_DIR)' % CLIENT)
        env = dict(os.environ)
        env.setdefault('ASAN_OPTIONS', 'detect_leaks=1')
        env.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1')
        self.started = time.monotonic()
        self.proc = subprocess.Popen([CLIENT, uri] + [str(a) for a in args],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)

    def finish(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        self.elapsed = time.monotonic() - self.started
        self.raw_out = out
        out, err = out.decode(errors='replace'), err.decode(errors='replace')
        for mark in SANITIZER_MARKS:
            assert mark not in err, err
        return self.proc.returncode, out, err


def uri_of(server):
    return 'mongodb://%s/' % server.address_string


def cursor(coll, docs=()):
    return {'cursor': {'id': Int64(0), 'ns': '%s.%s' % (DB, coll),
                       'firstBatch': list(docs)}}


def expect(server, name, coll):
    """Receive the next command; check its name, collection and database."""
    r = server.receives(timeout=15)
    assert r.command_name == name, r
    assert r.doc[name] == coll, r
    assert r.doc['$db'] == DB, r
    return r


def expect_write(server, name, coll):
    r = expect(server, name, coll)
    assert dict(r.doc['writeConcern']) == WC, r
    return r


def index_specs(r):
    return {ix['name']: (list(ix['key'].items()), ix.get('unique', False))
            for ix in r.doc['indexes']}


def expect_nothing_more(server):
    with pytest.raises(AssertionError, match='got nothing'):
        server.receives(timeout=0.5)


def expect_indexes(server, coll, n):
    """n createIndexes on coll, one index each (FerretDB 1.24 fails a
    command naming two that exist already); their specs by name."""
    specs = {}
    for _ in range(n):
        r = expect_write(server, 'createIndexes', coll)
        assert len(r.doc['indexes']) == 1, r
        specs.update(index_specs(r))
        r.replies(numIndexesBefore=1, numIndexesAfter=2)
    return specs


def drive_indexes(server):
    """The createIndexes the backend runs on a handle's first use."""
    specs = expect_indexes(server, 'requests', 7)
    assert specs['reference_1'] == ([('reference', 1)], True)
    assert specs['idempotency_key_1'] == ([('idempotency_key', 1)], True)
    assert specs['token_1'] == ([('token', 1)], True)
    assert specs['attachments.blob_id_1'] == ([('attachments.blob_id', 1)],
                                              False)
    assert specs['email_lc_1_received_ms_1'] == (
        [('email_lc', 1), ('received_ms', 1)], False)
    assert specs['log_state_1_received_ms_1'] == (
        [('log_state', 1), ('received_ms', 1)], False)
    assert set(specs) == {'reference_1', 'idempotency_key_1', 'token_1',
                          'attachments.blob_id_1',
                          'outbox.status_1_outbox.due_ms_1',
                          'email_lc_1_received_ms_1',
                          'log_state_1_received_ms_1'}

    files_ix = expect_indexes(server, 'attachments.files', 2)
    assert files_ix['filename_1_uploadDate_1'] == (
        [('filename', 1), ('uploadDate', 1)], False)

    assert expect_indexes(server, 'attachments.chunks', 1) == {
        'files_id_1_n_1': ([('files_id', 1), ('n', 1)], True)}
    # The log's entries, by the token of the request they log.
    assert expect_indexes(server, 'log_entries', 1) == {
        'token_1': ([('token', 1)], False)}
    return files_ix


def drive_driver_index_probe(server):
    """mongo-c-driver's own GridFS index check, once per bucket object: it
    probes attachments.files with filter {_id: 1} (never matches an
    ObjectId) and then lists both collections' indexes, which exist."""
    r = expect(server, 'find', 'attachments.files')
    assert dict(r.doc['filter']) == {'_id': 1}
    r.replies(cursor('attachments.files'))
    r = expect(server, 'listIndexes', 'attachments.files')
    r.replies(cursor('attachments.files', [
        {'v': 2, 'key': {'_id': 1}, 'name': '_id_'},
        {'v': 2, 'key': {'filename': 1, 'uploadDate': 1},
         'name': 'filename_1_uploadDate_1'}]))
    r = expect(server, 'listIndexes', 'attachments.chunks')
    r.replies(cursor('attachments.chunks', [
        {'v': 2, 'key': {'_id': 1}, 'name': '_id_'},
        {'v': 2, 'key': {'files_id': 1, 'n': 1}, 'name': 'files_id_1_n_1',
         'unique': True}]))


def expect_chunk(server, n, data):
    r = expect_write(server, 'insert', 'attachments.chunks')
    (chunk,) = r.doc['documents']
    assert chunk['n'] == n
    assert bytes(chunk['data']) == data[n * CHUNK:(n + 1) * CHUNK]
    return r, chunk['files_id']


def drive_upload(server, data, name='scan.pdf'):
    """Indexes, then the upload of data in two chunks and the files
    document; returns the file's ObjectId."""
    before_ms = int(time.time() * 1000)
    drive_indexes(server)
    drive_driver_index_probe(server)
    r, oid = expect_chunk(server, 0, data)
    assert isinstance(oid, ObjectId)
    r.replies(n=1)
    r, oid1 = expect_chunk(server, 1, data)
    assert oid1 == oid
    r.replies(n=1)

    r = expect_write(server, 'insert', 'attachments.files')
    (f,) = r.doc['documents']
    assert f['_id'] == oid
    assert f['length'] == len(data)
    assert f['chunkSize'] == CHUNK
    assert f['filename'] == name
    assert f['metadata']['state'] == 'pending'
    assert isinstance(f['metadata']['created_ms'], Int64)
    assert before_ms - 1000 <= f['metadata']['created_ms'] <= \
        int(time.time() * 1000) + 1000
    r.replies(n=1)

    # The backend confirms the last chunk landed (the driver does not).
    r = expect(server, 'find', 'attachments.chunks')
    assert dict(r.doc['filter']) == {'files_id': oid, 'n': 1}
    r.replies(cursor('attachments.chunks', [{'_id': ObjectId()}]))
    return oid


def drive_put_checks(server, oid):
    """put checks the blob exists and is not linked to another request."""
    r = expect(server, 'find', 'attachments.files')
    assert r.doc['filter']['_id'] == {'$in': [oid]}
    r.replies(cursor('attachments.files', [{'_id': oid}]))
    r = expect(server, 'find', 'requests')
    assert r.doc['filter'] == {'attachments.blob_id': {'$in': [str(oid)]}}
    r.replies(cursor('requests'))


def expect_request_insert(server, oid, data, idem=IDEM, email=None):
    """The request insert; with an email, fields carries it as sent and
    the document ends with email_lc, its lower-case copy."""
    r = expect_write(server, 'insert', 'requests')
    (doc,) = r.doc['documents']
    assert isinstance(doc['_id'], ObjectId)
    body = [(k, v) for k, v in doc.items() if k != '_id']
    fields = {'full_name': 'Ada Lovelace',
              'needs': ['wheelchair', 'interpreter']}
    if email is not None:
        fields['email'] = email
    expected = [
        ('token', TOKEN),
        ('reference', REFERENCE),
        ('idempotency_key', idem),
        ('received', '2026-11-23T14:05:09Z'),
        ('received_ms', 1795443909000),
        ('fields', fields),
        ('attachments', [{'blob_id': str(oid), 'name': 'scan.pdf',
                          'content_type': 'application/pdf',
                          'size': len(data),
                          'sha256': hashlib.sha256(data).hexdigest()}]),
        ('copy_json', '{"v":1}'),
    ]
    if email is not None:
        expected.append(('email_lc', email.lower()))
    assert [k for k, _ in body] == [k for k, _ in expected]
    assert body == expected
    assert isinstance(doc['received_ms'], Int64)
    assert isinstance(doc['attachments'][0]['size'], Int64)
    return r


def drive_blob_delete(server, oid):
    """The caller's clean-up after a failed put: cl_store_blob_delete."""
    r = expect(server, 'find', 'requests')
    assert r.doc['filter'] == {'attachments.blob_id': {'$in': [str(oid)]}}
    r.replies(cursor('requests'))
    r = expect_write(server, 'delete', 'attachments.files')
    (d,) = r.doc['deletes']
    assert d['q'] == {'_id': {'$in': [oid]}}
    r.replies(n=1)
    r = expect_write(server, 'delete', 'attachments.chunks')
    (d,) = r.doc['deletes']
    assert d['q'] == {'files_id': {'$in': [oid]}}
    assert d['limit'] == 0
    r.replies(n=2)


def expect_collision_lookup(server, idem=IDEM):
    """After a duplicate key (or a bad blob): which stored request shares
    the idempotency key, reference or token?"""
    r = expect(server, 'find', 'requests')
    assert r.doc['filter'] == {'$or': [{'idempotency_key': idem},
                                       {'reference': REFERENCE},
                                       {'token': TOKEN}]}
    return r


def closed_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ----------------------------------------------------------------- tests

def test_submission_sends_expected_commands_in_order(server, upload_file):
    path, data = upload_file
    c = Client(uri_of(server), 'put', path)
    oid = drive_upload(server, data)
    drive_put_checks(server, oid)
    expect_request_insert(server, oid, data).replies(n=1)
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'stored %s\n' % TOKEN), err
    expect_nothing_more(server)


@pytest.mark.parametrize('failure', ['command_error', 'write_concern_error',
                                     'write_error', 'hangup'])
def test_request_insert_failure_is_unavailable_and_blob_removed(
        server, upload_file, failure):
    path, data = upload_file
    c = Client(uri_of(server), 'put', path)
    oid = drive_upload(server, data)
    drive_put_checks(server, oid)
    r = expect_request_insert(server, oid, data)
    if failure == 'command_error':
        r.command_err(code=8, errmsg='simulated server failure')
    elif failure == 'write_concern_error':
        r.replies(n=1, writeConcernError={
            'code': 64, 'errmsg': 'waiting for replication timed out'})
    elif failure == 'write_error':
        r.replies(n=0, writeErrors=[{'index': 0, 'code': 121,
                                     'errmsg': 'Document failed validation'}])
    else:
        r.hangup()
    drive_blob_delete(server, oid)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'unavailable\n'), err
    assert 'insert request failed' in err
    expect_nothing_more(server)


def test_duplicate_idempotency_key_returns_existing_token(server,
                                                          upload_file):
    path, data = upload_file
    c = Client(uri_of(server), 'put', path)
    oid = drive_upload(server, data)
    drive_put_checks(server, oid)
    expect_request_insert(server, oid, data).replies(n=0, writeErrors=[{
        'index': 0, 'code': 11000,
        'errmsg': 'E11000 duplicate key error collection: callin.requests '
                  'index: idempotency_key_1 dup key: { idempotency_key: '
                  '"idem-0001" }'}])
    r = expect_collision_lookup(server)
    r.replies(cursor('requests', [
        {'reference': 'CIR-AAAA-AAAA', 'token': 'other',
         'idempotency_key': 'idem-other'},
        {'token': 'EXISTING-token_1', 'idempotency_key': IDEM}]))
    drive_blob_delete(server, oid)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'duplicate EXISTING-token_1\n'), err
    expect_nothing_more(server)


def test_reference_collision_is_duplicate_without_token(server, upload_file):
    path, data = upload_file
    c = Client(uri_of(server), 'put', path, 'idem-0002')
    oid = drive_upload(server, data)
    drive_put_checks(server, oid)
    expect_request_insert(server, oid, data, idem='idem-0002').replies(
        n=0, writeErrors=[{'index': 0, 'code': 11000,
                           'errmsg': 'E11000 duplicate key error '
                                     'index: reference_1'}])
    r = expect_collision_lookup(server, 'idem-0002')
    r.replies(cursor('requests', [{'token': 'other',
                                   'idempotency_key': 'idem-other'}]))
    drive_blob_delete(server, oid)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'collision\n'), err


def test_linked_blob_is_refused(server, upload_file):
    path, data = upload_file
    c = Client(uri_of(server), 'put', path)
    oid = drive_upload(server, data)
    r = expect(server, 'find', 'attachments.files')
    r.replies(cursor('attachments.files', [{'_id': oid}]))
    r = expect(server, 'find', 'requests')
    r.replies(cursor('requests', [{'_id': ObjectId()}]))
    # Refused before any insert (no request shares its keys); the
    # caller's clean-up delete sees the blob linked too and keeps it.
    expect_collision_lookup(server).replies(cursor('requests'))
    r = expect(server, 'find', 'requests')
    r.replies(cursor('requests', [{'_id': ObjectId()}]))
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'invalid\n'), err
    expect_nothing_more(server)


def test_unknown_blob_is_refused(server, upload_file):
    path, data = upload_file
    c = Client(uri_of(server), 'put', path)
    oid = drive_upload(server, data)
    r = expect(server, 'find', 'attachments.files')
    r.replies(cursor('attachments.files'))
    expect_collision_lookup(server).replies(cursor('requests'))
    drive_blob_delete(server, oid)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'invalid\n'), err
    expect_nothing_more(server)


def test_chunk_error_during_write_aborts_upload(server, upload_file):
    """A chunk insert that fails inside a write is only visible through
    mongoc_gridfs_bucket_stream_error(); the backend sees it, the caller
    aborts, and abort_upload deletes the chunks.  No files document."""
    path, data = upload_file
    c = Client(uri_of(server), 'put', path)
    drive_indexes(server)
    drive_driver_index_probe(server)
    r, oid = expect_chunk(server, 0, data)
    r.command_err(code=8, errmsg='simulated chunk failure')
    r = expect_write(server, 'delete', 'attachments.chunks')
    assert r.doc['deletes'][0]['q'] == {'files_id': oid}
    r.replies(n=0)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'unavailable\n'), err
    assert 'upload chunk failed' in err
    expect_nothing_more(server)


def test_lost_final_chunk_is_detected(server, upload_file):
    """Driver quirk: at close the final chunk's insert error is overwritten
    by the files insert's success, so close() reports success.  The backend
    looks for that chunk, finds it missing, and removes the file."""
    path, data = upload_file
    c = Client(uri_of(server), 'put', path)
    drive_indexes(server)
    drive_driver_index_probe(server)
    r, oid = expect_chunk(server, 0, data)
    r.replies(n=1)
    r, _ = expect_chunk(server, 1, data)
    r.command_err(code=8, errmsg='simulated chunk failure')
    r = expect_write(server, 'insert', 'attachments.files')  # sent anyway
    r.replies(n=1)
    r = expect(server, 'find', 'attachments.chunks')
    assert dict(r.doc['filter']) == {'files_id': oid, 'n': 1}
    r.replies(cursor('attachments.chunks'))
    r = expect_write(server, 'delete', 'attachments.files')
    assert r.doc['deletes'][0]['q'] == {'_id': {'$in': [oid]}}
    r.replies(n=1)
    r = expect_write(server, 'delete', 'attachments.chunks')
    assert r.doc['deletes'][0]['q'] == {'files_id': {'$in': [oid]}}
    r.replies(n=1)
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'unavailable\n'), err
    assert 'lost its last chunk' in err
    expect_nothing_more(server)


def test_get_returns_document_without_id(server):
    c = Client(uri_of(server), 'get', 'reference', REFERENCE)
    drive_indexes(server)
    r = expect(server, 'find', 'requests')
    assert r.doc['filter'] == {'reference': REFERENCE}
    assert r.doc['projection'] == {'_id': 0}
    assert r.doc['limit'] == 1
    r.replies(cursor('requests', [{'token': TOKEN, 'reference': REFERENCE,
                                   'received_ms': Int64(5)}]))
    rc, out, err = c.finish()
    assert rc == 0, err
    assert out == ('{ "token" : "%s", "reference" : "%s", '
                   '"received_ms" : 5 }\n' % (TOKEN, REFERENCE))


def test_get_unknown_is_notfound(server):
    c = Client(uri_of(server), 'get', 'token', 'nope')
    drive_indexes(server)
    expect(server, 'find', 'requests').replies(cursor('requests'))
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'notfound\n'), err


def test_ping(server):
    c = Client(uri_of(server), 'ping')
    r = server.receives(timeout=15)
    assert r.command_name == 'ping' and r.doc['$db'] == 'admin', r
    r.replies()
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'ok\n'), err


def test_count(server):
    c = Client(uri_of(server), 'count')
    drive_indexes(server)
    r = expect(server, 'aggregate', 'requests')
    r.replies(cursor('requests', [{'_id': 1, 'n': 42}]))
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'count 42\n'), err


def test_put_with_email_stores_its_lower_case_copy(server, upload_file):
    path, data = upload_file
    c = Client(uri_of(server), 'put', path, IDEM, 'Ada.Lovelace@Example.ORG')
    oid = drive_upload(server, data)
    drive_put_checks(server, oid)
    expect_request_insert(server, oid, data,
                          email='Ada.Lovelace@Example.ORG').replies(n=1)
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'stored %s\n' % TOKEN), err
    expect_nothing_more(server)


def test_get_hides_email_lc_and_outbox(server):
    c = Client(uri_of(server), 'get', 'token', TOKEN)
    drive_indexes(server)
    r = expect(server, 'find', 'requests')
    assert r.doc['filter'] == {'token': TOKEN}
    r.replies(cursor('requests', [OrderedDict([
        ('token', TOKEN), ('fields', {'email': 'Ada@Example.ORG'}),
        ('outbox', [{'status': 'due'}]), ('email_lc', 'ada@example.org')])]))
    rc, out, err = c.finish()
    assert rc == 0, err
    assert out == ('{ "token" : "%s", "fields" : { "email" : '
                   '"Ada@Example.ORG" } }\n' % TOKEN)


def test_count_by_email_is_count_documents_on_email_lc(server):
    since = 1795443909000
    c = Client(uri_of(server), 'count-email', 'Alex@Example.ORG', since)
    drive_indexes(server)
    r = expect(server, 'aggregate', 'requests')
    assert r.doc['pipeline'] == [
        {'$match': {'email_lc': 'alex@example.org',
                    'received_ms': {'$gte': since}}},
        {'$group': {'_id': 1, 'n': {'$sum': 1}}}]
    assert isinstance(r.doc['pipeline'][0]['$match']['received_ms']['$gte'],
                      Int64)
    assert 'readConcern' not in r.doc         # the server's default
    r.replies(cursor('requests', [{'_id': 1, 'n': 3}]))
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'count 3\n'), err
    expect_nothing_more(server)


def test_count_by_email_none_and_failure(server):
    c = Client(uri_of(server), 'count-email', 'nobody@example.org', 0)
    drive_indexes(server)
    expect(server, 'aggregate', 'requests').replies(cursor('requests'))
    rc, out, err = c.finish()
    assert (rc, out) == (0, 'count 0\n'), err

    c = Client(uri_of(server), 'count-email', 'alex@example.org', 0)
    drive_indexes(server)
    expect(server, 'aggregate', 'requests').command_err(
        code=8, errmsg='simulated server failure')
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'unavailable\n'), err
    assert 'count requests by email failed' in err

    c = Client(uri_of(server), 'count-email', '', 0)     # no address
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'invalid\n'), err
    expect_nothing_more(server)


@pytest.mark.parametrize('args', [['ping'], ['put', None], ['count'],
                                  ['count-email', 'alex@example.org', 0]])
def test_no_server_is_unavailable_within_seconds(upload_file, args):
    path, _ = upload_file
    args = [str(path) if a is None else a for a in args]
    c = Client('mongodb://127.0.0.1:%d/' % closed_port(), *args)
    rc, out, err = c.finish(timeout=30)
    assert (rc, out) == (1, 'unavailable\n'), err
    assert c.elapsed < 10, c.elapsed
    assert 'domain 15, code 13053' in err     # server selection failure
    assert 'DEBUG' not in err                 # the driver's default handler


def test_bad_uri_is_config_error():
    c = Client('mongodb://h:99999/', 'ping')
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'config\n'), err
    assert 'bad MongoDB URI' in err


def test_duplicate_wins_over_linked_blob(server, upload_file):
    """A replayed put naming a blob its first put linked is a duplicate
    (as in the SQLite backend, where the unique keys are checked first)."""
    path, data = upload_file
    c = Client(uri_of(server), 'put', path)
    oid = drive_upload(server, data)
    r = expect(server, 'find', 'attachments.files')
    r.replies(cursor('attachments.files', [{'_id': oid}]))
    r = expect(server, 'find', 'requests')
    r.replies(cursor('requests', [{'_id': ObjectId()}]))
    expect_collision_lookup(server).replies(cursor('requests', [
        {'token': 'FIRST-token', 'idempotency_key': IDEM}]))
    r = expect(server, 'find', 'requests')       # clean-up: still linked
    r.replies(cursor('requests', [{'_id': ObjectId()}]))
    rc, out, err = c.finish()
    assert (rc, out) == (1, 'duplicate FIRST-token\n'), err
    expect_nothing_more(server)


def test_read_streams_linked_blob(server, upload_file):
    _, data = upload_file
    oid = ObjectId()
    c = Client(uri_of(server), 'read', str(oid))
    drive_indexes(server)
    r = expect(server, 'find', 'requests')
    assert r.doc['filter'] == {'attachments.blob_id': {'$in': [str(oid)]}}
    r.replies(cursor('requests', [{'_id': ObjectId()}]))
    r = expect(server, 'find', 'attachments.files')
    assert r.doc['filter'] == {'_id': oid}
    r.replies(cursor('attachments.files', [{
        '_id': oid, 'length': Int64(len(data)), 'chunkSize': CHUNK,
        'uploadDate': datetime.datetime(2026, 11, 23, 14, 5, 9),
        'filename': 'scan.pdf',
        'metadata': {'state': 'pending', 'created_ms': Int64(1)}}]))
    r = expect(server, 'find', 'attachments.chunks')
    assert r.doc['filter'] == {'files_id': oid}
    assert r.doc['sort'] == {'n': 1}
    r.replies(cursor('attachments.chunks', [
        {'_id': ObjectId(), 'files_id': oid, 'n': i,
         'data': data[i * CHUNK:(i + 1) * CHUNK]} for i in range(2)]))
    rc, _, err = c.finish()
    assert rc == 0, err
    assert c.raw_out == data
    assert err.strip().endswith('ok'), err
    expect_nothing_more(server)


def test_read_unlinked_blob_is_notfound(server):
    oid = ObjectId()
    c = Client(uri_of(server), 'read', str(oid))
    drive_indexes(server)
    expect(server, 'find', 'requests').replies(cursor('requests'))
    rc, out, err = c.finish()
    assert rc == 1 and err.strip().endswith('notfound'), err
    expect_nothing_more(server)


def test_sweep_removes_pending_unlinked_blobs_and_orphan_chunks(server):
    bound = 1795443909000
    linked, loose, orphan = ObjectId(), ObjectId(), ObjectId()
    c = Client(uri_of(server), 'sweep', bound)
    drive_indexes(server)

    # Pass 1: pending files started before the bound.
    r = expect(server, 'find', 'attachments.files')
    assert r.doc['filter'] == {'metadata.state': 'pending',
                               'metadata.created_ms': {'$lt': bound}}
    r.replies(cursor('attachments.files', [{'_id': linked},
                                           {'_id': loose}]))
    r = expect(server, 'find', 'requests')
    assert r.doc['filter'] == {'attachments.blob_id': {
        '$in': [str(linked), str(loose)]}}
    r.replies(cursor('requests', [
        {'attachments': [{'blob_id': str(linked)}]}]))
    r = expect_write(server, 'update', 'attachments.files')
    (u,) = r.doc['updates']
    assert u['q'] == {'_id': {'$in': [linked]}}
    assert u['u'] == {'$set': {'metadata.state': 'linked'}}
    assert u['multi'] is True
    r.replies(n=1, nModified=1)
    r = expect_write(server, 'delete', 'attachments.files')
    assert r.doc['deletes'][0]['q'] == {'_id': {'$in': [loose]}}
    r.replies(n=1)
    r = expect_write(server, 'delete', 'attachments.chunks')
    assert r.doc['deletes'][0]['q'] == {'files_id': {'$in': [loose]}}
    r.replies(n=1)

    # Pass 2: chunk 0 of files older than the bound with no files document.
    r = expect(server, 'find', 'attachments.chunks')
    f = r.doc['filter']
    assert f['n'] == 0
    assert f['files_id']['$lt'] == ObjectId.from_datetime(
        datetime.datetime.utcfromtimestamp(bound // 1000))
    r.replies(cursor('attachments.chunks', [{'files_id': linked},
                                            {'files_id': orphan}]))
    r = expect(server, 'find', 'attachments.files')
    assert r.doc['filter'] == {'_id': {'$in': [linked, orphan]}}
    r.replies(cursor('attachments.files', [{'_id': linked}]))
    r = expect_write(server, 'delete', 'attachments.chunks')
    assert r.doc['deletes'][0]['q'] == {'files_id': {'$in': [orphan]}}
    r.replies(n=3)

    rc, out, err = c.finish()
    assert (rc, out) == (0, 'swept 2\n'), err
    expect_nothing_more(server)
