/**
 * drizzle-orm over libSQL's HTTP (Hrana) client: Turso in production, the local libSQL
 * endpoint in development. Built per request by the services middleware; creating it opens
 * no connection, so a request that does not touch the database pays nothing.
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
