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
import { hash32 } from "../hash.ts";

type Flags = EdgeConfigDocument["flags"];

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
  if (flag.countries.length > 0 && (subject.country === null || !flag.countries.includes(subject.country)))
    return false;
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
