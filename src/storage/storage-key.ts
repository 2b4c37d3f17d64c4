/**
 * The one function that names a job's stored files. Pure (no Node APIs): the workflow computes
 * the key and storage validates it, so both agree by construction.
 *
 * Injective: letters, digits and `-` stay as they are; every other character (including `_` and
 * `.`) becomes `_` plus the hex of its UTF-8 bytes (`a:b` → `a_3Ab`, `a b` → `a_20b`,
 * `a/b` → `a_2Fb`, `a_b` → `a_5Fb`). An escape is always `_` and two hex digits, so the markers
 * `_v` (video number), `_p` (prefix) and `_h` (hash of an over-long id) never occur in an
 * encoded id: the key of video 2 of job `X` (`X_v2`) is no other job's key (job `X_v2` is
 * `X_5Fv2`).
 */

/** Keys are at most 200 characters; this leaves room for `_v<n>` after the id part. */
const MAX_ID_PART = 180;

export function videoStorageKey(workflowId: string, videoIndex = 0, videoCount = 1): string {
  const id = encodeId(workflowId);
  return videoCount > 1 ? `${id}_v${videoIndex + 1}` : id;
}

function encodeId(workflowId: string): string {
  let encoded = '';
  for (const character of workflowId) {
    encoded += /^[A-Za-z0-9-]$/.test(character) ? character : escapeCharacter(character);
  }
  // A key starts with a letter or digit.
  if (!/^[A-Za-z0-9]/.test(encoded)) encoded = `k_p${encoded}`;
  if (encoded.length <= MAX_ID_PART) return encoded;
  return `${encoded.slice(0, MAX_ID_PART - 18)}_h${fnv1a64(workflowId)}`;
}

function escapeCharacter(character: string): string {
  const code = character.codePointAt(0) ?? 0;
  if (code < 0x80) return `_${code.toString(16).toUpperCase().padStart(2, '0')}`;
  // encodeURIComponent gives the UTF-8 bytes as %XX (it leaves only ASCII characters alone).
  return encodeURIComponent(character).replaceAll('%', '_');
}

/** FNV-1a, 64 bits, as 16 hex digits: keeps over-long ids apart without Node's crypto. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const unit of encodeURIComponent(text)) {
    hash ^= BigInt(unit.charCodeAt(0));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}
