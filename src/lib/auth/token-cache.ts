/**
 * Verified access tokens, per isolate, so a token is checked with jose once rather than on
 * every request. Keyed by the whole token string: a token that differs in any character is a
 * different key and is verified from scratch. An entry serves until the token expires (with
 * the same clock tolerance the verifier allows) and never longer than five minutes after it
 * was verified, which bounds how long a change the cache cannot see goes unnoticed in an
 * isolate. Each entry remembers the settings and the key object it was verified with;
 * the caller serves it only while both are still the ones in force, so a key set that changes
 * (a `kid` removed, a rotation) or a changed key configuration sends the token back through
 * full verification. Bounded in entries and in (estimated) bytes, least recently used first out.
 */
import type { Principal } from "./principal.ts";

export const TOKEN_CACHE_TTL_MS = 5 * 60_000;
export const TOKEN_CACHE_MAX_ENTRIES = 10_000;
export const TOKEN_CACHE_MAX_BYTES = 4 * 1024 * 1024;
/** Rough fixed cost of an entry beyond its strings (objects, map slot). */
const ENTRY_OVERHEAD_BYTES = 256;

export interface VerifiedToken {
  /** Frozen: one object is handed to every request that presents the token. */
  principal: Readonly<Principal>;
  /** The verification settings and key (JWKS function or HS256 secret) it passed with. */
  config: object;
  key: object;
  alg: string;
  kid: string | undefined;
  verifiedAt: number;
  /** Serves while `verifiedAt <= now < until`. */
  until: number;
}

interface Entry extends VerifiedToken {
  bytes: number;
}

const entries = new Map<string, Entry>();
let totalBytes = 0;
let hits = 0;

function drop(token: string, entry: Entry): void {
  entries.delete(token);
  totalBytes -= entry.bytes;
}

function sizeOf(token: string, principal: Principal): number {
  // UTF-16 worst case for every string held.
  let chars = token.length + principal.sub.length + principal.tenant.length;
  for (const r of principal.roles) chars += r.length;
  return chars * 2 + ENTRY_OVERHEAD_BYTES;
}

/** The entry for exactly this token string, if it is within its lifetime at `now`. */
export function cachedToken(token: string, now: number): VerifiedToken | undefined {
  const entry = entries.get(token);
  if (!entry) return undefined;
  if (now >= entry.until || now < entry.verifiedAt) {
    drop(token, entry);
    return undefined;
  }
  // Most recently used moves to the end; eviction takes from the front.
  entries.delete(token);
  entries.set(token, entry);
  return entry;
}

export function forgetToken(token: string): void {
  const entry = entries.get(token);
  if (entry) drop(token, entry);
}

/** Remembers a token that just passed verification at `verifiedAt` and expires at `expiresAtMs`. */
export function rememberToken(token: string, verified: Omit<VerifiedToken, "until">, expiresAtMs: number): void {
  const until = Math.min(verified.verifiedAt + TOKEN_CACHE_TTL_MS, expiresAtMs);
  if (until <= verified.verifiedAt) return;
  const bytes = sizeOf(token, verified.principal);
  if (bytes > TOKEN_CACHE_MAX_BYTES) return;
  forgetToken(token);
  while (entries.size >= TOKEN_CACHE_MAX_ENTRIES || totalBytes + bytes > TOKEN_CACHE_MAX_BYTES) {
    const oldest = entries.entries().next().value;
    if (!oldest) break;
    drop(oldest[0], oldest[1]);
  }
  entries.set(token, { ...verified, until, bytes });
  totalBytes += bytes;
}

/** Counts a request answered from the cache (the caller decides; see verify.ts). */
export function countHit(): void {
  hits++;
}

/** Size of the cache, and how many verifications it has answered. */
export function tokenCacheStats(): { entries: number; bytes: number; hits: number } {
  return { entries: entries.size, bytes: totalBytes, hits };
}

/** Test hook: forget every verified token (as a new isolate would). */
export function clearTokenCache(): void {
  entries.clear();
  totalBytes = 0;
  hits = 0;
}
