/**
 * Feature flags with percentage rollout. Each (flag, subject) pair gets a stable bucket in
 * [0, 100) from a hash of both, so:
 * - the same user always gets the same answer for a flag;
 * - raising `rollout` only ever adds users (a bucket below 25 is also below 50: monotone);
 * - flags are independent: the flag name is part of the hash, so being in one flag's 10%
 *   says nothing about another's.
 * `countries` (when non-empty) limits a flag to visitors from those countries.
 */
import type { EdgeConfigDocument } from "./schema.ts";

type Flags = EdgeConfigDocument["flags"];

/** FNV-1a over UTF-16 code units, then murmur3's finalizer for avalanche. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The subject's stable bucket for a flag, in [0, 100) with 0.01 resolution. */
export function rolloutBucket(flag: string, subject: string): number {
  return (hash32(`${flag}\u0000${subject}`) % 10_000) / 100;
}

export interface FlagSubject {
  /** The user id when authenticated, else the client address. */
  id: string;
  country: string | null;
}

export function isFlagEnabled(flags: Flags, name: string, subject: FlagSubject): boolean {
  const flag = flags[name];
  if (!flag || !flag.enabled) return false;
  if (flag.countries.length > 0 && (subject.country === null || !flag.countries.includes(subject.country))) return false;
  return rolloutBucket(name, subject.id) < flag.rollout;
}

/** The flags a route reads as `c.get("flags")`; evaluated on use, for the caller at that moment. */
export interface FeatureFlags {
  enabled(name: string): boolean;
  all(): Record<string, boolean>;
}

export function featureFlags(flags: Flags, subject: () => FlagSubject): FeatureFlags {
  return {
    enabled: (name) => isFlagEnabled(flags, name, subject()),
    all: () => {
      const s = subject();
      return Object.fromEntries(Object.keys(flags).map((name) => [name, isFlagEnabled(flags, name, s)]));
    },
  };
}
