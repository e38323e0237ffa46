/**
 * FNV-1a over UTF-16 code units with a seed, then murmur3's 32-bit finaliser for avalanche:
 * fast, deterministic and the same in every runtime. For bucketing and feature hashing, never
 * for anything an attacker must not predict.
 */
export function hash32(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
