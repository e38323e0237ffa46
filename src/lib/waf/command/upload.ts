/**
 * Restricted upload file names for the command injection detector (`../command.ts`): server
 * configuration and credential files (`wp-config.php.bak`, `.htaccess`, `id_rsa`, …), and the
 * gate's cheap test for them (the gate cannot see the field).
 */
import { isSpace } from "./chars.ts";

export const UPLOAD_FIELD = /^(?:x[-_]?file[-_]?name|x[-_]?filename|filename|file[-_]?name)$/;
export function restrictedUpload(name: string): boolean {
  const n = name.replace(/\s+/g, "").toLowerCase();
  const base = n.slice(n.lastIndexOf("/") + 1);
  return (
    (/^(?:wp-config|settings|configuration|local_settings|config)(?:[._-]?php|\.inc)?(?:[._-](?:bak|old|orig|save|swp|txt|dist|backup|\d))*(?:\.txt)?$/.test(
      base,
    ) &&
      /php|\.inc|bak|old|orig|save|swp|txt|dist/.test(base)) ||
    /^(?:\.htaccess|\.htpasswd|\.htdigest|web\.config|\.user\.ini|php\.ini|\.boto|\.s3cfg|\.netrc|\.pgpass|\.my\.cnf|\.bashrc|\.bash_profile|\.profile|\.zshrc|\.ssh|authorized_keys|id_rsa|id_dsa|id_ecdsa|id_ed25519|\.git|\.gitconfig|\.npmrc|\.pypirc|\.dockercfg|config\.ya?ml|settings\.ya?ml|\.env|mtrr|acpi|wp-config)$/.test(
      base,
    )
  );
}

/** Last characters of restricted upload names (see `restrictedUpload`), and their first two (after the last `/`, spaces aside). */
const UPLOAD_LAST = new Uint8Array(128);
for (const c of "pckdgetsiofhalvr0123456789") UPLOAD_LAST[c.charCodeAt(0)] = 1;
const UPLOAD_FIRST = new Uint8Array(128 * 128);
for (const p of ["wp", "se", "co", "lo", "we", "ph", "au", "id", "mt", "ac"])
  UPLOAD_FIRST[p.charCodeAt(0) * 128 + p.charCodeAt(1)] = 1;

/** A short value that may be a restricted upload name (see `restrictedUpload`): the gate cannot see the field. */
export function uploadCandidate(t: string, lower: string): boolean {
  if (t.length > 256) return false;
  let e = lower.length;
  while (e > 0 && isSpace(lower.charCodeAt(e - 1))) e--;
  const last = e === 0 ? 0 : lower.charCodeAt(e - 1);
  if (last >= 128 || UPLOAD_LAST[last] !== 1) return false;
  // The base name: after the last `/`, spaces aside.
  let i = e - 1;
  while (i > 0 && lower.charCodeAt(i - 1) !== 47) i--;
  while (i < e && isSpace(lower.charCodeAt(i))) i++;
  const a = lower.charCodeAt(i);
  if (a !== 46) {
    let k = i + 1;
    while (k < e && isSpace(lower.charCodeAt(k))) k++;
    const b = k < e ? lower.charCodeAt(k) : 0;
    if (a >= 128 || b >= 128 || UPLOAD_FIRST[a * 128 + b] !== 1) return false;
  }
  return restrictedUpload(lower);
}
