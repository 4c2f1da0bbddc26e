"""An in-memory MongoDB stand-in on MockupDB, shared by the wire tests and
the full-stack MongoDB tests.  It checks our backend's logic end to end
through the wire protocol, not MongoDB's own semantics."""
import threading
from collections import OrderedDict

from bson.int64 import Int64
from mockupdb import MockupDB

HELLO = {'ismaster': True, 'minWireVersion': 0, 'maxWireVersion': 13}
DB = 'callin'


def cursor(coll, docs=()):
    return {'cursor': {'id': Int64(0), 'ns': '%s.%s' % (DB, coll),
                       'firstBatch': list(docs)}}


class FakeMongo:
    """Just enough of a MongoDB server, on MockupDB, for the store
    conformance suite to run against the MongoDB backend here: databases of
    collections of documents in memory; find (filter with equality on
    dotted paths through arrays, $in, $lt, $or; projection; sort; limit),
    insert with unique indexes (error 11000), update with $set, delete,
    createIndexes/listIndexes, and the aggregate countDocuments sends.
    Every reply carries the whole result in its first batch."""

    def __init__(self):
        self.lock = threading.Lock()
        self.data = {}          # (db, coll) -> list of documents
        self.indexes = {}       # (db, coll) -> {name: spec}
        self.fail = set()       # (command, collection) answered with an error
        self.server = MockupDB(auto_ismaster=HELLO, request_timeout=15)
        self.server.autoresponds('hello', **HELLO)
        self.server.autoresponds(self.handle)

    # Matching ----------------------------------------------------------

    @staticmethod
    def values(doc, path):
        """Values at a dotted path, fanning out through arrays."""
        vals = [doc]
        for part in path.split('.'):
            nxt = []
            for v in vals:
                if isinstance(v, list):
                    v = [e for e in v if isinstance(e, dict)]
                    nxt.extend(e[part] for e in v if part in e)
                elif isinstance(v, dict) and part in v:
                    nxt.append(v[part])
            vals = nxt
        out = []
        for v in vals:
            out.extend(v if isinstance(v, list) else [v])
        return out

    @staticmethod
    def same(a, b):
        if isinstance(a, bool) or isinstance(b, bool):
            return type(a) is type(b) and a == b
        return a == b

    @staticmethod
    def less(a, b):
        if isinstance(a, bool) or isinstance(b, bool):
            return False
        if isinstance(a, int) and isinstance(b, int):
            return a < b
        return type(a) is type(b) and a < b

    def cond(self, vals, spec):
        if isinstance(spec, dict) and spec and \
                all(k.startswith('$') for k in spec):
            for op, arg in spec.items():
                if op == '$in':
                    if not any(self.same(v, a) for v in vals for a in arg):
                        return False
                elif op == '$lt':
                    if not any(self.less(v, arg) for v in vals):
                        return False
                else:
                    raise ValueError('unsupported operator %s' % op)
            return True
        return any(self.same(v, spec) for v in vals)

    def matches(self, doc, flt):
        for k, spec in flt.items():
            if k == '$or':
                if not any(self.matches(doc, f) for f in spec):
                    return False
            elif not self.cond(self.values(doc, k), spec):
                return False
        return True

    @staticmethod
    def project(doc, proj):
        if not proj:
            return doc
        inc = [k for k, v in proj.items() if v and k != '_id']
        if not inc:
            return OrderedDict((k, v) for k, v in doc.items()
                               if not (k in proj and not proj[k]))
        out = OrderedDict()
        if proj.get('_id', 1) and '_id' in doc:
            out['_id'] = doc['_id']
        for path in inc:
            head, _, rest = path.partition('.')
            if head not in doc:
                continue
            if not rest:
                out[head] = doc[head]
            elif isinstance(doc[head], list):
                out[head] = [OrderedDict([(rest, e[rest])]) for e in doc[head]
                             if isinstance(e, dict) and rest in e]
            elif isinstance(doc[head], dict) and rest in doc[head]:
                out[head] = OrderedDict([(rest, doc[head][rest])])
        return out

    # Commands ----------------------------------------------------------

    def coll(self, r, name):
        return (r.doc['$db'], r.doc[name])

    def unique_clash(self, key, doc, skip=None):
        docs = self.data.setdefault(key, [])
        specs = [(['_id'], '_id_')] + [
            (list(s['key']), n) for n, s in self.indexes.get(key, {}).items()
            if s.get('unique')]
        for fields, name in specs:
            mine = [doc.get(f) for f in fields]
            for other in docs:
                if other is not skip and \
                        [other.get(f) for f in fields] == mine:
                    return name
        return None

    def handle(self, r):
        name = r.command_name
        if name.lower() in ('ismaster', 'hello'):
            return False
        with self.lock:
            if (name, r.doc.get(name)) in self.fail:
                return r.replies({'ok': 0, 'code': 10107,
                                  'errmsg': 'not writable primary'})
            doc = self.dispatch(r, name)
        return r.replies(doc)

    def dispatch(self, r, name):
        d = r.doc
        if name in ('ping', 'endSessions', 'killCursors'):
            return {}
        if name == 'createIndexes':
            ix = self.indexes.setdefault(self.coll(r, name), {})
            for spec in d['indexes']:
                ix[spec['name']] = spec
            return {}
        if name == 'listIndexes':
            key = self.coll(r, name)
            specs = [{'v': 2, 'key': {'_id': 1}, 'name': '_id_'}] + [
                dict(s, v=2) for s in self.indexes.get(key, {}).values()]
            return cursor(key[1], specs)
        if name == 'insert':
            key = self.coll(r, name)
            n = 0
            for i, doc in enumerate(d['documents']):
                clash = self.unique_clash(key, doc)
                if clash:
                    return {'n': n, 'writeErrors': [{
                        'index': i, 'code': 11000,
                        'errmsg': 'E11000 duplicate key error index: %s'
                                  % clash}]}
                self.data[key].append(doc)
                n += 1
            return {'n': n}
        if name == 'find':
            key = self.coll(r, name)
            docs = [x for x in self.data.get(key, [])
                    if self.matches(x, d.get('filter', {}))]
            for field, way in reversed(list(d.get('sort', {}).items())):
                docs.sort(key=lambda x: x.get(field), reverse=way < 0)
            if d.get('limit'):
                docs = docs[:abs(d['limit'])]
            return cursor(key[1], [self.project(x, d.get('projection'))
                                   for x in docs])
        if name == 'delete':
            key = self.coll(r, name)
            n = 0
            for spec in d['deletes']:
                docs = self.data.setdefault(key, [])
                hits = [x for x in docs if self.matches(x, spec['q'])]
                if spec['limit']:
                    hits = hits[:1]
                for x in hits:
                    docs.remove(x)
                n += len(hits)
            return {'n': n}
        if name == 'update':
            key = self.coll(r, name)
            n = 0
            for spec in d['updates']:
                (op, sets), = spec['u'].items()
                assert op == '$set'
                hits = [x for x in self.data.get(key, [])
                        if self.matches(x, spec['q'])]
                if not spec.get('multi'):
                    hits = hits[:1]
                for x in hits:
                    for path, val in sets.items():
                        target = x
                        *parents, last = path.split('.')
                        for p in parents:
                            target = target.setdefault(p, OrderedDict())
                        target[last] = val
                n += len(hits)
            return {'n': n, 'nModified': n}
        if name == 'aggregate':
            key = self.coll(r, name)
            match, group = d['pipeline'][0]['$match'], d['pipeline'][-1]
            assert '$group' in group, d
            n = sum(1 for x in self.data.get(key, [])
                    if self.matches(x, match))
            return cursor(key[1], [{'_id': 1, 'n': n}] if n else [])
        return {'ok': 0, 'code': 59, 'errmsg': 'no such command %s' % name}
