"""An in-memory MongoDB stand-in on MockupDB, shared by the wire tests and
the full-stack MongoDB tests.  It checks our backend's logic end to end
through the wire protocol, not MongoDB's own semantics."""
import copy
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
    dotted paths through arrays and array indexes, $in, $lt, $lte, $gt,
    $gte, $elemMatch, $or; projection; sort; limit), insert with unique
    indexes (error 11000), update with $set and $inc (array indexes, the
    positional $), findAndModify (with a hint, documents come in the order
    a scan of that index would give them), delete,
    createIndexes/listIndexes, and aggregate ($match, $project, $unwind,
    $group with $sum and $min, $skip, $limit: what countDocuments and the
    outbox stats send).  Every reply carries the whole result in its first
    batch."""

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
                    if part.isdigit():
                        if int(part) < len(v):
                            nxt.append(v[int(part)])
                        continue
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
                elif op == '$lte':
                    if not any(self.less(v, arg) or self.same(v, arg)
                               for v in vals):
                        return False
                elif op == '$gt':
                    if not any(self.less(arg, v) for v in vals):
                        return False
                elif op == '$gte':
                    if not any(self.less(arg, v) or self.same(v, arg)
                               for v in vals):
                        return False
                elif op == '$elemMatch':
                    if not any(isinstance(v, dict) and self.matches(v, arg)
                               for v in vals):
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
        heads = OrderedDict()
        for path in inc:
            head, _, rest = path.partition('.')
            if head in doc:
                heads.setdefault(head, []).append(rest)
        for head, rests in heads.items():
            val = doc[head]
            if '' in rests:
                out[head] = val
            elif isinstance(val, list):
                out[head] = [OrderedDict((r, e[r]) for r in rests if r in e)
                             for e in val if isinstance(e, dict) and
                             any(r in e for r in rests)]
            elif isinstance(val, dict) and any(r in val for r in rests):
                out[head] = OrderedDict((r, val[r]) for r in rests
                                        if r in val)
        return out

    # Updates -----------------------------------------------------------

    def positional(self, doc, flt):
        """The index the positional $ stands for: the first element of the
        array that an $elemMatch in the filter matched."""
        for path, spec in flt.items():
            if isinstance(spec, dict) and '$elemMatch' in spec:
                arr = doc.get(path)
                for i, e in enumerate(arr if isinstance(arr, list) else []):
                    if isinstance(e, dict) and \
                            self.matches(e, spec['$elemMatch']):
                        return i
        return None

    def apply(self, doc, update, pos):
        for op, fields in update.items():
            assert op in ('$set', '$inc'), update
            for path, val in fields.items():
                target = doc
                *parents, last = path.split('.')
                parts = parents + [last]
                for i, p in enumerate(parts):
                    if p == '$':
                        assert pos is not None, (update, 'no $elemMatch')
                        p = str(pos)
                    key = int(p) if isinstance(target, list) else p
                    if i == len(parts) - 1:
                        if op == '$inc':
                            target[key] = target[key] + val \
                                if (isinstance(target, list) or
                                    key in target) else val
                        else:
                            target[key] = val
                    elif isinstance(target, list):
                        target = target[key]
                    else:
                        target = target.setdefault(key, OrderedDict())

    def index_order(self, key, docs, flt, hint):
        """Order docs as a scan of the hinted index would meet them: by the
        smallest key among the array elements inside the $elemMatch
        bounds, for an index on fields of one array."""
        spec = self.indexes.get(key, {}).get(hint) if isinstance(hint, str) \
            else next((s for s in self.indexes.get(key, {}).values()
                       if dict(s['key']) == dict(hint)), None)
        if spec is None:
            return None
        fields = list(spec['key'])
        head = fields[0].partition('.')[0]
        sub = flt.get(head, {}).get('$elemMatch') \
            if isinstance(flt.get(head), dict) else None
        if sub is None or not all(f.startswith(head + '.') for f in fields):
            return docs
        names = [f.partition('.')[2] for f in fields]
        bounds = {k: v for k, v in sub.items() if k in names}

        def first_key(doc):
            keys = [tuple(e.get(n) for n in names) for e in doc.get(head, [])
                    if isinstance(e, dict) and self.matches(e, bounds)]
            return min(keys) if keys else ()
        return sorted(docs, key=first_key)

    # Aggregation -------------------------------------------------------

    @staticmethod
    def expr(doc, e):
        if isinstance(e, str) and e.startswith('$'):
            v = doc
            for part in e[1:].split('.'):
                v = v.get(part) if isinstance(v, dict) else None
            return v
        return e

    def pipeline(self, docs, stages):
        for stage in stages:
            (op, arg), = stage.items()
            if op == '$match':
                docs = [x for x in docs if self.matches(x, arg)]
            elif op == '$project':
                docs = [self.project(x, arg) for x in docs]
            elif op == '$unwind':
                field = arg[1:]
                docs = [OrderedDict(list(x.items()) + [(field, e)])
                        for x in docs if isinstance(x.get(field), list)
                        for e in x[field]]
            elif op == '$skip':
                docs = docs[arg:]
            elif op == '$limit':
                docs = docs[:arg]
            elif op == '$group':
                groups = OrderedDict()
                for x in docs:
                    gid = self.expr(x, arg['_id'])
                    g = groups.setdefault(repr(gid), OrderedDict(_id=gid))
                    for name, acc in arg.items():
                        if name == '_id':
                            continue
                        (aop, a), = acc.items()
                        v = self.expr(x, a)
                        if aop == '$sum':
                            g[name] = g.get(name, 0) + \
                                (v if isinstance(v, int) else 0)
                        elif aop == '$min':
                            if v is not None and (name not in g or
                                                  self.less(v, g[name])):
                                g[name] = v
                        else:
                            raise ValueError('unsupported accumulator %s'
                                             % aop)
                docs = list(groups.values())
            else:
                raise ValueError('unsupported stage %s' % op)
        return docs

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
                hits = [x for x in self.data.get(key, [])
                        if self.matches(x, spec['q'])]
                if not spec.get('multi'):
                    hits = hits[:1]
                for x in hits:
                    self.apply(x, spec['u'], self.positional(x, spec['q']))
                n += len(hits)
            return {'n': n, 'nModified': n}
        if name == 'findAndModify':
            key = self.coll(r, name)
            flt = d.get('query', {})
            docs = [x for x in self.data.get(key, []) if self.matches(x, flt)]
            if 'hint' in d:
                docs = self.index_order(key, docs, flt, d['hint'])
                if docs is None:
                    return {'ok': 0, 'code': 2, 'errmsg': 'hint provided '
                            'does not correspond to an existing index'}
            for field, way in reversed(list(d.get('sort', {}).items())):
                docs.sort(key=lambda x: x.get(field), reverse=way < 0)
            assert 'update' in d and not d.get('remove'), d
            if not docs:
                return {'lastErrorObject': {'n': 0, 'updatedExisting': False},
                        'value': None}
            x = docs[0]
            before = copy.deepcopy(x)
            self.apply(x, d['update'], self.positional(x, flt))
            value = x if d.get('new') else before
            return {'lastErrorObject': {'n': 1, 'updatedExisting': True},
                    'value': self.project(copy.deepcopy(value),
                                          d.get('fields'))}
        if name == 'aggregate':
            key = self.coll(r, name)
            docs = self.pipeline(list(self.data.get(key, [])), d['pipeline'])
            return cursor(key[1], docs)
        return {'ok': 0, 'code': 59, 'errmsg': 'no such command %s' % name}
