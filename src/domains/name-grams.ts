/** Three-letter pieces of names: what the admin search by substring looks up (see DomainNameGram). */
export const GRAM_LENGTH = 3;

/** Each distinct three-letter piece of `text`, in order of first appearance; none when it is shorter. */
export function gramsOf(text: string): string[] {
  const grams = new Set<string>();
  for (let i = 0; i + GRAM_LENGTH <= text.length; i++) grams.add(text.slice(i, i + GRAM_LENGTH));
  return [...grams];
}

/** At most this many of a search's pieces are counted: the first, the last and some between. */
export const GRAMS_SAMPLED = 6;

/** The pieces of a search text worth counting to find its rarest: spread over the text, the ends included. */
export function sampledGrams(text: string): string[] {
  const grams = gramsOf(text);
  if (grams.length <= GRAMS_SAMPLED) return grams;
  const step = (grams.length - 1) / (GRAMS_SAMPLED - 1);
  return Array.from({ length: GRAMS_SAMPLED }, (_, i) => grams[Math.round(i * step)]);
}
