// Durable persistence in one SQLite file: an append-only log whose row id is the revision.
// WAL with synchronous=FULL: a commit is on disk before the store acknowledges the write.
import Database from 'better-sqlite3';
import type { KObject } from '../api/object.js';
import type { LogRecord, Persistence } from './memory.js';

export class SqlitePersistence implements Persistence {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly appendAll: (records: LogRecord[]) => void;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    // No index on key: every write would update it at a random place (doubling the cost of a
    // commit), and only compaction, every few minutes, looks rows up by key.
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS log (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT);
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.insert = this.db.prepare('INSERT INTO log (rev, key, value) VALUES (?, ?, ?)');
    this.appendAll = this.db.transaction((records: LogRecord[]) => {
      for (const r of records) this.insert.run(r.rev, r.key, r.value ? JSON.stringify(r.value) : null);
    });
  }

  load(): { records: Iterable<LogRecord>; compactedRev: number } {
    const row = this.db.prepare("SELECT value FROM meta WHERE name = 'compacted'").get() as { value: string } | undefined;
    const rows = this.db.prepare('SELECT rev, key, value FROM log ORDER BY rev').iterate() as Iterable<{ rev: number; key: string; value: string | null }>;
    function* records(): Iterable<LogRecord> {
      for (const r of rows) yield { rev: r.rev, key: r.key, value: r.value === null ? null : (JSON.parse(r.value) as KObject) };
    }
    return { records: records(), compactedRev: row ? Number(row.value) : 0 };
  }

  append(records: LogRecord[]): void {
    this.appendAll(records);
  }

  compact(rev: number): void {
    if (rev <= 0) return;
    this.db.transaction(() => {
      // Keep, for every key, its latest record; drop superseded ones and old deletions.
      this.db
        .prepare(
          `DELETE FROM log WHERE rev <= ? AND (value IS NULL OR rev NOT IN (SELECT MAX(rev) FROM log GROUP BY key))`,
        )
        .run(rev);
      this.db.prepare("INSERT INTO meta (name, value) VALUES ('compacted', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value").run(String(rev));
    })();
  }

  close(): void {
    this.db.close();
  }
}
