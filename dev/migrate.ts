/**
 * Applies the SQL migrations in `migrations/` (drizzle-kit's journal) to a libSQL database
 * over HTTP — the local endpoint in development, Turso in production:
 *
 *   LIBSQL_URL=libsql://… LIBSQL_AUTH_TOKEN=… npm run db:migrate
 */
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { fileURLToPath } from "node:url";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../migrations", import.meta.url));

export async function applyMigrations(url: string, authToken?: string): Promise<void> {
  const client = createClient({ url, ...(authToken ? { authToken } : {}) });
  try {
    await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    client.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.LIBSQL_URL;
  if (!url) {
    console.error("LIBSQL_URL is not set (e.g. libsql://<db>-<org>.turso.io). Nothing was changed.");
    process.exit(2);
  }
  applyMigrations(url, process.env.LIBSQL_AUTH_TOKEN).then(
    () => console.log("migrations applied"),
    (err: unknown) => {
      console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
