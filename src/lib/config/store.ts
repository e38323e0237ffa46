/** The EdgeConfig object's RPC shapes, shared by the object and the admin routes. */
import type { ConfigChange } from "./diff.ts";

export interface ConfigVersionEntry {
  version: number;
  author: string;
  /** ISO 8601 time of the write. */
  at: string;
  reason: string;
  changes: ConfigChange[];
}

export type ConfigWriteResult =
  | { ok: true; version: number }
  | { ok: false; error: "stale"; currentVersion: number }
  | { ok: false; error: "invalid"; issues: Array<{ path: string; message: string }> }
  | { ok: false; error: "not_found"; currentVersion: number };

export interface ConfigWrite {
  document: unknown;
  /** The version the author edited; the write fails as stale if another version came since. */
  expectedVersion: number;
  author: string;
  reason?: string;
}

export interface ConfigRollback {
  toVersion: number;
  author: string;
  reason?: string;
  /** When given, the rollback fails as stale if the current version differs. */
  expectedVersion?: number;
}
