/** A marker event's attributes, from a JSON history file or from a fetched (proto) history. */
interface MarkerAttributes {
  markerName?: string | null;
  details?: Record<string, { payloads?: { data?: string | Uint8Array | null }[] | null }> | null;
}

/**
 * The id a `patched()` call recorded (the SDK core's `core_patch` marker), or undefined for any
 * other marker. JSON histories carry the payload base64-encoded, fetched ones as bytes.
 */
export function patchIdOf(marker: MarkerAttributes | null | undefined): string | undefined {
  const data = marker?.details?.['patch-data']?.payloads?.[0]?.data;
  if (marker?.markerName !== 'core_patch' || !data) return undefined;
  const bytes = typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.from(data);
  return (JSON.parse(bytes.toString('utf8')) as { id: string }).id;
}
