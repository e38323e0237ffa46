import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "turso",
  schema: "./src/lib/db/schema.ts",
  out: "./migrations",
  dbCredentials: { url: process.env.LIBSQL_URL ?? "file:.data/drizzle-kit.db" },
});
