/**
 * What a check keeps of the values a vantage point returned. The zone's owner chooses them, and
 * every check is stored (on the claim and in the audit log) for good, so a 14 KB TXT RRset
 * would otherwise be kept twice per check, forever.
 */
export const MAX_VALUES_KEPT = 10;
export const MAX_VALUE_LENGTH = 512;

/** A value longer than MAX_VALUE_LENGTH, cut so that it still fits and says so. */
export function keptValue(value: string, max = MAX_VALUE_LENGTH): string {
  if (value.length <= max) return value;
  const marker = `… [cut: ${value.length} characters]`;
  return value.slice(0, max - marker.length) + marker;
}

/**
 * At most MAX_VALUES_KEPT values, each at most MAX_VALUE_LENGTH characters; when values are
 * dropped, the last kept place says how many, and values that look like dnsproof's own move
 * first, so a cut never hides the one a decision was made on.
 */
export function keptValues(values: string[]): string[] {
  if (values.length <= MAX_VALUES_KEPT) return values.map((value) => keptValue(value));
  const ours = (value: string) => /dnsproof/i.test(value);
  const ordered = [...values.filter(ours), ...values.filter((value) => !ours(value))];
  const shown = ordered.slice(0, MAX_VALUES_KEPT - 1).map((value) => keptValue(value));
  return [...shown, `… [cut: ${ordered.length - shown.length} more values not kept]`];
}
