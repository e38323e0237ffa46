/**
 * EdgeConfig: the single source of truth for the edge config document. One named instance
 * (`EDGE_CONFIG.getByName("global")`) keeps every version in its SQLite storage. Isolates read
 * it through `src/lib/config/client.ts` and cache it, so this object is never on the hot path
 * of every request.
 */
import { DurableObject } from "cloudflare:workers";
import { defaultEdgeConfig, edgeConfigSchema, type VersionedConfig } from "../src/lib/config/schema.ts";



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

  /** The current version and document; version 0 is the built-in default before any write. */
  async current(): Promise<VersionedConfig> {
    const row = this.#sql
      .exec<{ version: number; document: string }>("SELECT version, document FROM config_versions ORDER BY version DESC LIMIT 1")
      .toArray()[0];
    if (!row) return { version: 0, config: defaultEdgeConfig };
    // Parsing fills defaults for keys added to the schema after this version was written.
    return { version: row.version, config: edgeConfigSchema.parse(JSON.parse(row.document)) };
  }

  /** The current version number only: the cheap call isolates use to revalidate their copy. */
  async version(): Promise<number> {
    const row = this.#sql.exec<{ version: number }>("SELECT MAX(version) AS version FROM config_versions").toArray()[0];
    return row?.version ?? 0;
  }
}
