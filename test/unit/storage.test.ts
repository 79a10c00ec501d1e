// MemoryStore on its own and over SqlitePersistence (a real SQLite file in a temp dir):
// reads, compare-and-swap writes, group commit, watch replay and expiry, durability,
// compaction, and what a failed commit leaves behind.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { KObject } from '../../src/api/object.js';
import { MemoryStore, type LogRecord, type MemoryStoreOptions, type Persistence } from '../../src/storage/memory.js';
import { SqlitePersistence } from '../../src/storage/sqlite.js';
import { StoreError, type Store, type StoreEvent } from '../../src/storage/store.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-storage-test-'));
  dirs.push(dir);
  return join(dir, 'everynode.db');
}

function obj(name: string, extra: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, ...extra };
}

const rv = (o: KObject | undefined): number => Number(o?.metadata.resourceVersion);

async function rejectsWith(p: Promise<unknown>, code: StoreError['code']): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof StoreError && err.code === code);
}

/** Collects watch events; `next(n)` resolves once n events in total have arrived. */
function collector() {
  const events: StoreEvent[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  return {
    events,
    onEvents(batch: StoreEvent[]): void {
      events.push(...batch);
      if (waiter && events.length >= waiter.n) waiter.resolve();
    },
    until(n: number): Promise<void> {
      if (events.length >= n) return Promise.resolve();
      return new Promise((resolve) => (waiter = { n, resolve }));
    },
  };
}

/** The same behaviour is expected with and without durable persistence. */
const flavours: [string, (opts?: MemoryStoreOptions) => MemoryStore][] = [
  ['memory only', (opts) => new MemoryStore(undefined, opts)],
  ['over SQLite', (opts) => new MemoryStore(new SqlitePersistence(tempDb()), opts)],
];

for (const [flavour, make] of flavours) {
  describe(`MemoryStore (${flavour})`, () => {
    it('creates, gets and reports increasing revisions', async () => {
      const s = make();
      assert.equal(s.revision(), 0);
      const a = await s.create('/registry/configmaps/ns/a', obj('a'));
      assert.equal(rv(a), 1);
      assert.equal(s.revision(), 1);
      const b = await s.create('/registry/configmaps/ns/b', obj('b'));
      assert.equal(rv(b), 2);
      assert.deepEqual(await s.get('/registry/configmaps/ns/a'), a);
      assert.equal(await s.get('/registry/configmaps/ns/missing'), undefined);
      await s.close();
    });

    it('rejects a second create of the same key with AlreadyExists', async () => {
      const s = make();
      await s.create('/registry/configmaps/ns/a', obj('a'));
      await rejectsWith(s.create('/registry/configmaps/ns/a', obj('a')), 'AlreadyExists');
      assert.equal(s.revision(), 1);
      await s.close();
    });

    it('lists by prefix, sorted by key, with limit / afterKey / filter paging', async () => {
      const s = make();
      for (const k of ['ns2/c', 'ns1/b', 'ns1/a', 'ns1/d', 'ns1/c']) await s.create(`/registry/configmaps/${k}`, obj(k.split('/')[1]!, { n: k }));
      await s.create('/registry/pods/ns1/a', obj('a'));
      const names = (r: { items: KObject[] }): string[] => r.items.map((i) => i.n as string);

      const all = await s.list('/registry/configmaps/');
      assert.deepEqual(names(all), ['ns1/a', 'ns1/b', 'ns1/c', 'ns1/d', 'ns2/c']);
      assert.equal(all.rev, 6);
      assert.equal(all.nextKey, undefined);

      assert.deepEqual(names(await s.list('/registry/configmaps/ns1/')), ['ns1/a', 'ns1/b', 'ns1/c', 'ns1/d']);
      assert.deepEqual(names(await s.list('/registry/configmaps/ns3/')), []);

      const page1 = await s.list('/registry/configmaps/', { limit: 2 });
      assert.deepEqual(names(page1), ['ns1/a', 'ns1/b']);
      assert.equal(page1.nextKey, '/registry/configmaps/ns1/b');
      const page2 = await s.list('/registry/configmaps/', { limit: 2, afterKey: page1.nextKey });
      assert.deepEqual(names(page2), ['ns1/c', 'ns1/d']);
      const page3 = await s.list('/registry/configmaps/', { limit: 2, afterKey: page2.nextKey });
      assert.deepEqual(names(page3), ['ns2/c']);
      assert.equal(page3.nextKey, undefined);

      const filter = (o: KObject): boolean => o.metadata.name === 'c';
      const filtered = await s.list('/registry/configmaps/', { filter, limit: 1 });
      assert.deepEqual(names(filtered), ['ns1/c']);
      assert.equal(filtered.nextKey, '/registry/configmaps/ns1/c');
      const rest = await s.list('/registry/configmaps/', { filter, limit: 1, afterKey: filtered.nextKey });
      assert.deepEqual(names(rest), ['ns2/c']);
      // A full last page that matched everything that was left says there is no more.
      assert.equal(rest.nextKey, undefined);
      await s.close();
    });

    it('updates with compare-and-swap: a stale revision is a Conflict, a missing key NotFound', async () => {
      const s = make();
      const key = '/registry/configmaps/ns/a';
      const v1 = await s.create(key, obj('a', { data: 1 }));
      const v2 = await s.update(key, { ...v1, data: 2 }, rv(v1));
      assert.equal(rv(v2), 2);
      assert.equal((await s.get(key))?.data, 2);
      await rejectsWith(s.update(key, { ...v1, data: 3 }, rv(v1)), 'Conflict');
      assert.equal((await s.get(key))?.data, 2);
      assert.equal(s.revision(), 2);
      await rejectsWith(s.update('/registry/configmaps/ns/none', obj('none'), 1), 'NotFound');
      await s.close();
    });

    it('applies a write at once, so a CAS in the same tick sees it', async () => {
      const s = make();
      const key = '/registry/configmaps/ns/a';
      const created = s.create(key, obj('a'));
      const updated = s.update(key, obj('a', { data: 'x' }), 1);
      assert.equal(rv(await created), 1);
      assert.equal(rv(await updated), 2);
    });

    it('deletes with and without an expected revision', async () => {
      const s = make();
      const a = await s.create('/registry/configmaps/ns/a', obj('a'));
      const b = await s.create('/registry/configmaps/ns/b', obj('b'));
      await rejectsWith(s.delete('/registry/configmaps/ns/a', rv(a) + 5), 'Conflict');
      assert.ok(await s.get('/registry/configmaps/ns/a'));
      const gone = await s.delete('/registry/configmaps/ns/a', rv(a));
      assert.equal(gone.metadata.name, 'a');
      assert.equal(rv(gone), 3, 'the returned object carries the delete revision');
      assert.equal(await s.get('/registry/configmaps/ns/a'), undefined);
      assert.equal(rv(await s.delete('/registry/configmaps/ns/b')), 4);
      assert.equal(b.metadata.name, 'b');
      await rejectsWith(s.delete('/registry/configmaps/ns/b'), 'NotFound');
      assert.equal(s.revision(), 4);
      await s.close();
    });

    it('watch replays from a revision, then streams live events; DELETED carries the last state and prev', async () => {
      const s = make();
      const key = '/registry/configmaps/ns/a';
      const v1 = await s.create(key, obj('a', { data: 1 }));
      const v2 = await s.update(key, { ...v1, data: 2 }, rv(v1));
      await s.create('/registry/pods/ns/p', obj('p'));
      const c = collector();
      const w = s.watch('/registry/configmaps/', rv(v1), (e) => c.onEvents(e));
      assert.deepEqual(
        c.events.map((e) => [e.type, e.rev]),
        [['MODIFIED', 2]],
        'replay starts after the given revision and skips other prefixes',
      );
      assert.equal(c.events[0]!.prev?.data, 1);

      await s.create('/registry/configmaps/other/b', obj('b'));
      await s.delete(key);
      await c.until(3);
      assert.deepEqual(
        c.events.map((e) => [e.type, e.key, e.rev]),
        [
          ['MODIFIED', key, 2],
          ['ADDED', '/registry/configmaps/other/b', 4],
          ['DELETED', key, 5],
        ],
      );
      const del = c.events[2]!;
      assert.equal(del.object.data, 2, 'DELETED carries the last state');
      assert.equal(rv(del.object), 5, "with the delete's revision");
      assert.equal(rv(del.prev), rv(v2));
      assert.equal(c.events[1]!.prev, undefined);

      w.stop();
      await s.create('/registry/configmaps/ns/later', obj('later'));
      assert.equal(c.events.length, 3, 'a stopped watch gets nothing');
      await s.close();
    });

    it('watch of a narrower prefix sees only its keys; from the current revision nothing is replayed', async () => {
      const s = make();
      await s.create('/registry/configmaps/ns1/a', obj('a'));
      const c = collector();
      s.watch('/registry/configmaps/ns2/', s.revision(), (e) => c.onEvents(e));
      assert.equal(c.events.length, 0);
      await s.create('/registry/configmaps/ns1/b', obj('b'));
      await s.create('/registry/configmaps/ns2/c', obj('c'));
      await c.until(1);
      assert.deepEqual(
        c.events.map((e) => e.key),
        ['/registry/configmaps/ns2/c'],
      );
      await s.close();
    });

    it('groups writes made in one tick into one batch, acknowledged in order', async () => {
      const s = make();
      const c = collector();
      s.watch('/registry/configmaps/', 0, (e) => c.onEvents(e));
      const batches: number[] = [];
      s.watch('/registry/configmaps/', 0, (e) => batches.push(e.length));
      const writes = Array.from({ length: 20 }, (_, i) => s.create(`/registry/configmaps/ns/o${String(i).padStart(2, '0')}`, obj(`o${i}`)));
      const done = await Promise.all(writes);
      assert.deepEqual(
        done.map(rv),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      assert.deepEqual(batches, [20], 'watchers get the whole batch at once');
      assert.equal(s.revision(), 20);
      await s.close();
    });

    it('answers Expired for a revision older than the retained history', async () => {
      const s = make({ historySize: 4 });
      const key = '/registry/configmaps/ns/a';
      let cur = await s.create(key, obj('a', { n: 0 }));
      for (let i = 1; i < 10; i++) cur = await s.update(key, { ...cur, n: i }, rv(cur));
      assert.equal(s.revision(), 10);
      assert.throws(
        () => s.watch('/registry/configmaps/', 1, () => {}),
        (err: unknown) => err instanceof StoreError && err.code === 'Expired' && /too old resource version/.test(err.message),
      );
      // historySize 4 keeps between 4 and 5 events: after 10 writes, revisions 7..10.
      assert.throws(() => s.watch('/registry/configmaps/', 5, () => {}), (err: unknown) => err instanceof StoreError && err.code === 'Expired');
      const edge = collector();
      s.watch('/registry/configmaps/', 6, (e) => edge.onEvents(e));
      assert.deepEqual(
        edge.events.map((e) => e.rev),
        [7, 8, 9, 10],
      );
      // The newest revisions are still there to resume from.
      const c = collector();
      s.watch('/registry/configmaps/', 8, (e) => c.onEvents(e));
      assert.deepEqual(
        c.events.map((e) => e.rev),
        [9, 10],
      );
      await s.close();
    });

    it('counts objects by resource', async () => {
      const s = make();
      await s.create('/registry/pods/ns/a', obj('a'));
      await s.create('/registry/pods/ns/b', obj('b'));
      await s.create('/registry/namespaces/ns', obj('ns'));
      assert.deepEqual(Object.fromEntries(s.countByResource()), { pods: 2, namespaces: 1 });
      await s.close();
    });
  });
}

/** A persistence that records what it is asked to append, and can be told to fail. */
class FakePersistence implements Persistence {
  appended: LogRecord[][] = [];
  failNext = false;
  load(): { records: Iterable<LogRecord>; compactedRev: number } {
    return { records: [], compactedRev: 0 };
  }
  append(records: LogRecord[]): void {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.appended.push(records);
  }
  compact(): void {}
  close(): void {}
}

describe('MemoryStore with a persistence layer', () => {
  it('commits the writes of one tick as one append, every write acknowledged', async () => {
    const p = new FakePersistence();
    const s = new MemoryStore(p);
    const writes = Array.from({ length: 50 }, (_, i) => s.create(`/registry/pods/ns/p${i}`, obj(`p${i}`)));
    const done = await Promise.all(writes);
    assert.equal(p.appended.length, 1);
    assert.equal(p.appended[0]!.length, 50);
    assert.deepEqual(
      p.appended[0]!.map((r) => r.rev),
      done.map(rv),
    );
    // Revisions strictly increase in commit order.
    assert.ok(done.every((o, i) => i === 0 || rv(o) > rv(done[i - 1])));
    await s.create('/registry/pods/ns/next', obj('next'));
    assert.equal(p.appended.length, 2, 'a later tick is a new transaction');
  });

  it('a failing append rejects the whole batch and leaves state and revision as before', async () => {
    const p = new FakePersistence();
    const s = new MemoryStore(p);
    const key = '/registry/pods/ns/a';
    const a = await s.create(key, obj('a', { v: 'old' }));
    const c = collector();
    s.watch('/registry/pods/', s.revision(), (e) => c.onEvents(e));
    p.failNext = true;
    const batch = [s.update(key, { ...a, v: 'new' }, rv(a)), s.create('/registry/pods/ns/b', obj('b')), s.delete(key, undefined)];
    const results = await Promise.allSettled(batch);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof StoreError && r.reason.code === 'Unavailable', String(r.reason));
    }
    assert.equal(s.revision(), 1);
    assert.equal((await s.get(key))?.v, 'old');
    assert.equal(rv(await s.get(key)), 1);
    assert.equal(await s.get('/registry/pods/ns/b'), undefined);
    assert.deepEqual(
      (await s.list('/registry/pods/')).items.map((i) => i.metadata.name),
      ['a'],
    );
    assert.equal(c.events.length, 0, 'watchers never see a failed batch');
    // The store goes on from where it was: the next write gets revision 2.
    const again = await s.update(key, { ...a, v: 'newer' }, 1);
    assert.equal(rv(again), 2);
    await c.until(1);
    assert.deepEqual(
      c.events.map((e) => [e.type, e.rev]),
      [['MODIFIED', 2]],
    );
  });
});

describe('MemoryStore over SQLite: durability', () => {
  async function fill(s: Store): Promise<void> {
    const a = await s.create('/registry/pods/ns/a', obj('a', { v: 1 })); // 1
    await s.create('/registry/pods/ns/b', obj('b')); // 2
    await s.update('/registry/pods/ns/a', { ...a, v: 2 }, rv(a)); // 3
    await s.delete('/registry/pods/ns/b'); // 4
    await s.create('/registry/namespaces/ns', obj('ns')); // 5
  }

  it('close + reopen replays state, revision and history', async () => {
    const file = tempDb();
    const s1 = new MemoryStore(new SqlitePersistence(file));
    await fill(s1);
    const before = collector();
    s1.watch('/registry/pods/', 0, (e) => before.onEvents(e));
    await s1.close();

    const s2 = new MemoryStore(new SqlitePersistence(file));
    assert.equal(s2.revision(), 5);
    assert.equal((await s2.get('/registry/pods/ns/a'))?.v, 2);
    assert.equal(rv(await s2.get('/registry/pods/ns/a')), 3);
    assert.equal(await s2.get('/registry/pods/ns/b'), undefined);
    assert.deepEqual(
      (await s2.list('/registry/')).items.map((i) => i.metadata.name),
      ['ns', 'a'],
    );
    // A watch from an old revision after the restart gets the same events as before it.
    const afterReopen = collector();
    s2.watch('/registry/pods/', 1, (e) => afterReopen.onEvents(e));
    assert.deepEqual(
      afterReopen.events.map((e) => [e.type, e.key, e.rev]),
      [
        ['ADDED', '/registry/pods/ns/b', 2],
        ['MODIFIED', '/registry/pods/ns/a', 3],
        ['DELETED', '/registry/pods/ns/b', 4],
      ],
    );
    assert.deepEqual(afterReopen.events, before.events.slice(1));
    const del = afterReopen.events[2]!;
    assert.equal(rv(del.object), 4);
    assert.equal(del.object.metadata.name, 'b');

    const next = await s2.create('/registry/pods/ns/c', obj('c'));
    assert.equal(rv(next), 6);
    await s2.close();
  });

  it('compact() drops superseded rows but keeps every key latest, and revisions keep increasing after reopen', async () => {
    const file = tempDb();
    // historySize 2: the memory window — and so what may be compacted — moves along quickly.
    const s1 = new MemoryStore(new SqlitePersistence(file), { historySize: 2 });
    let a = await s1.create('/registry/pods/ns/a', obj('a', { v: 0 })); // 1
    for (let i = 1; i <= 5; i++) a = await s1.update('/registry/pods/ns/a', { ...a, v: i }, rv(a)); // 2..6
    await s1.create('/registry/pods/ns/b', obj('b')); // 7
    await s1.delete('/registry/pods/ns/b'); // 8
    await s1.create('/registry/pods/ns/c', obj('c')); // 9
    await s1.create('/registry/pods/ns/d', obj('d')); // 10
    await s1.create('/registry/pods/ns/e', obj('e')); // 11
    await s1.delete('/registry/pods/ns/e'); // 12
    const rowsBefore = countRows(file);
    assert.equal(rowsBefore, 12);
    s1.compact();
    await s1.close();

    const rows = readRows(file);
    assert.ok(rows.length < rowsBefore, `compaction dropped rows (${rows.length} left)`);
    // Superseded versions of a and the deletion of b are gone; every live key's latest row stays.
    assert.deepEqual(
      rows.filter((r) => r.key === '/registry/pods/ns/a').map((r) => r.rev),
      [6],
    );
    assert.equal(rows.filter((r) => r.key === '/registry/pods/ns/b').length, 0);
    for (const k of ['c', 'd']) assert.equal(rows.filter((r) => r.key === `/registry/pods/ns/${k}`).length, 1);

    const s2 = new MemoryStore(new SqlitePersistence(file), { historySize: 2 });
    assert.equal(s2.revision(), 12, 'the revision survives a restart');
    assert.deepEqual(
      (await s2.list('/registry/pods/')).items.map((i) => [i.metadata.name, rv(i)]),
      [
        ['a', 6],
        ['c', 9],
        ['d', 10],
      ],
    );
    assert.equal((await s2.get('/registry/pods/ns/a'))?.v, 5);
    assert.throws(
      () => s2.watch('/registry/pods/', 1, () => {}),
      (err: unknown) => err instanceof StoreError && err.code === 'Expired',
    );
    const created = await s2.create('/registry/pods/ns/f', obj('f'));
    assert.equal(rv(created), 13);
    await s2.close();
  });

  it('compaction with no history window left still keeps the live objects and the revision', async () => {
    const file = tempDb();
    const s1 = new MemoryStore(new SqlitePersistence(file), { historySize: 0 });
    await s1.create('/registry/pods/ns/keep', obj('keep')); // 1
    await s1.create('/registry/pods/ns/x', obj('x')); // 2
    await s1.delete('/registry/pods/ns/x'); // 3: the newest revision is a deletion
    s1.compact();
    await s1.close();
    assert.deepEqual(
      readRows(file).map((r) => [r.rev, r.key]),
      [[1, '/registry/pods/ns/keep']],
    );
    const s2 = new MemoryStore(new SqlitePersistence(file));
    assert.equal(s2.revision(), 3);
    assert.equal(rv(await s2.create('/registry/pods/ns/y', obj('y'))), 4);
    assert.deepEqual(
      (await s2.list('/registry/pods/')).items.map((i) => i.metadata.name),
      ['keep', 'y'],
    );
    await s2.close();
  });
});

function readRows(file: string): { rev: number; key: string; value: string | null }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT rev, key, value FROM log ORDER BY rev').all() as { rev: number; key: string; value: string | null }[];
  } finally {
    db.close();
  }
}

function countRows(file: string): number {
  return readRows(file).length;
}
