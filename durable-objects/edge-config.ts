/**
 * EdgeConfig: the single source of truth for the edge config document. One named instance
 * (`EDGE_CONFIG.getByName("global")`) keeps every version in its SQLite storage with author,
 * time, reason and what changed. Writes are validated by the one schema and use optimistic
 * concurrency: each write names the version it was based on and fails as stale otherwise.
 * A write is a few synchronous SQL statements with no await in between, so it is atomic.
 * Isolates read through `src/lib/config/client.ts` and cache the document, so this object is
 * never on the hot path of every request.
 */
import { DurableObject } from "cloudflare:workers";
import { diffDocuments, type ConfigChange } from "../src/lib/config/diff.ts";
import { announceConfigChange } from "../src/lib/config/events.ts";
import type { ConfigRollback, ConfigVersionEntry, ConfigWrite, ConfigWriteResult } from "../src/lib/config/store.ts";
import {
  defaultEdgeConfig,
  edgeConfigSchema,
  type EdgeConfigDocument,
  type VersionedConfig,
} from "../src/lib/config/schema.ts";

interface VersionRow {
  version: number;
  document: string;
  author: string;
  at: number;
  reason: string;
  changes: string;
  [key: string]: SqlStorageValue;
}

export class EdgeConfig extends DurableObject<Env> {
  #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS config_versions (
        version INTEGER PRIMARY KEY,
        document TEXT NOT NULL,
        author TEXT NOT NULL,
        at INTEGER NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        changes TEXT NOT NULL DEFAULT '[]'
      )`);
    });
  }

  #latest(): { version: number; config: EdgeConfigDocument } {
    const row = this.#sql
      .exec<{ version: number; document: string }>(
        "SELECT version, document FROM config_versions ORDER BY version DESC LIMIT 1",
      )
      .toArray()[0];
    if (!row) return { version: 0, config: defaultEdgeConfig };
    // Parsing fills defaults for keys added to the schema after this version was written.
    return { version: row.version, config: edgeConfigSchema.parse(JSON.parse(row.document)) };
  }

  #document(version: number): EdgeConfigDocument | undefined {
    if (version === 0) return defaultEdgeConfig;
    const row = this.#sql
      .exec<{ document: string }>("SELECT document FROM config_versions WHERE version = ?", version)
      .toArray()[0];
    return row ? edgeConfigSchema.parse(JSON.parse(row.document)) : undefined;
  }

  #append(
    config: EdgeConfigDocument,
    previous: EdgeConfigDocument,
    version: number,
    author: string,
    reason: string,
  ): number {
    const next = version + 1;
    const changes = diffDocuments(previous, config);
    this.#sql.exec(
      "INSERT INTO config_versions (version, document, author, at, reason, changes) VALUES (?, ?, ?, ?, ?, ?)",
      next,
      JSON.stringify(config),
      author,
      Date.now(),
      reason,
      JSON.stringify(changes),
    );
    // The config.changed webhook event goes out after the reply (src/lib/config/events.ts).
    this.ctx.waitUntil(announceConfigChange(this.env, { version: next, author, reason, changes }));
    return next;
  }

  /** The current version and document; version 0 is the built-in default before any write. */
  async current(): Promise<VersionedConfig> {
    return this.#latest();
  }

  /** The current version number only. */
  async version(): Promise<number> {
    const row = this.#sql
      .exec<{ version: number | null }>("SELECT MAX(version) AS version FROM config_versions")
      .toArray()[0];
    return row?.version ?? 0;
  }

  /**
   * The cheap revalidation isolates use: `null` when `known` is still current (a tiny reply),
   * otherwise the newer version and document.
   */
  async currentIfNewer(known: number): Promise<VersionedConfig | null> {
    return (await this.version()) === known ? null : this.#latest();
  }

  async write({ document, expectedVersion, author, reason = "" }: ConfigWrite): Promise<ConfigWriteResult> {
    const parsed = edgeConfigSchema.safeParse(document);
    if (!parsed.success) {
      return {
        ok: false,
        error: "invalid",
        issues: parsed.error.issues.map((i) => ({ path: `/${i.path.map(String).join("/")}`, message: i.message })),
      };
    }
    const latest = this.#latest();
    if (latest.version !== expectedVersion) return { ok: false, error: "stale", currentVersion: latest.version };
    return { ok: true, version: this.#append(parsed.data, latest.config, latest.version, author, reason) };
  }

  /** Writes a new version whose document equals `toVersion`'s. */
  async rollback({ toVersion, author, reason, expectedVersion }: ConfigRollback): Promise<ConfigWriteResult> {
    const latest = this.#latest();
    if (expectedVersion !== undefined && latest.version !== expectedVersion)
      return { ok: false, error: "stale", currentVersion: latest.version };
    const target = toVersion <= latest.version ? this.#document(toVersion) : undefined;
    if (!target) return { ok: false, error: "not_found", currentVersion: latest.version };
    const version = this.#append(
      target,
      latest.config,
      latest.version,
      author,
      reason ?? `rollback to version ${toVersion}`,
    );
    return { ok: true, version };
  }

  /** History, newest first: up to `limit` versions older than `before` (when given). */
  async versions({ limit = 50, before }: { limit?: number; before?: number } = {}): Promise<ConfigVersionEntry[]> {
    const rows = this.#sql
      .exec<VersionRow>(
        "SELECT version, author, at, reason, changes FROM config_versions WHERE version < ? ORDER BY version DESC LIMIT ?",
        before ?? Number.MAX_SAFE_INTEGER,
        Math.max(1, Math.min(limit, 500)),
      )
      .toArray();
    return rows.map((r) => ({
      version: r.version,
      author: r.author,
      at: new Date(r.at).toISOString(),
      reason: r.reason,
      changes: JSON.parse(r.changes) as ConfigChange[],
    }));
  }
}
