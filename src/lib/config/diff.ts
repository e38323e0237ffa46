/**
 * What changed between two config documents, as `{path, from, to}` entries with JSON-pointer
 * paths (`/maintenance/enabled`). Objects are compared key by key; arrays and scalars as
 * whole values, so a changed list shows up once with its old and new contents.
 */

export interface ConfigChange {
  path: string;
  from: unknown;
  to: unknown;
}

const MAX_CHANGES = 200;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const escapePointer = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");

export function diffDocuments(from: unknown, to: unknown): ConfigChange[] {
  const changes: ConfigChange[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (changes.length >= MAX_CHANGES) return;
    if (isPlainObject(a) && isPlainObject(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const key of [...keys].sort()) walk(a[key], b[key], `${path}/${escapePointer(key)}`);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) changes.push({ path: path || "/", from: a ?? null, to: b ?? null });
  };
  walk(from, to, "");
  return changes;
}
