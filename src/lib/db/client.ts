/**
 * drizzle-orm over libSQL's HTTP (Hrana) client: Turso in production, the local libSQL
 * endpoint in development. The services middleware gives each request one, built on first
 * use (`lazyDatabase`); creating it opens no connection.
 */
import { createClient } from "@libsql/client/web";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { drizzle } from "drizzle-orm/libsql/web";
import * as schema from "./schema.ts";

export type Database = LibSQLDatabase<typeof schema>;

export interface DatabaseOptions {
  url: string;
  authToken?: string | undefined;
  /** Wraps every call, e.g. to add time spent to `Server-Timing: db`. */
  fetch?: typeof fetch;
}

export function createDatabase({ url, authToken, fetch }: DatabaseOptions): Database {
  const client = createClient({ url, ...(authToken ? { authToken } : {}), ...(fetch ? { fetch } : {}) });
  return drizzle({ client, schema });
}

/**
 * A `Database` built on first use. Building one costs the isolate more than most middleware
 * (drizzle derives its relational config from the schema and the client parses the URL), and
 * many requests never touch the database (geo, identity, rooms). Methods are bound to the real
 * client, so `this` inside drizzle is always the real object.
 */
export function lazyDatabase(create: () => Database): Database {
  let real: Database | undefined;
  const get = () => (real ??= create());
  return new Proxy({} as Database, {
    get(_target, prop) {
      const db = get();
      const value: unknown = Reflect.get(db, prop, db);
      return typeof value === "function" ? value.bind(db) : value;
    },
    has: (_target, prop) => Reflect.has(get(), prop),
    getPrototypeOf: () => Reflect.getPrototypeOf(get()),
  });
}
