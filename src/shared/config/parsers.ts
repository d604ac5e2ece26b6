/**
 * Small typed parsers of environment values. Each refuses with a message that names the
 * variable and what it expects, and says in `accepts` what the README lists for it, so the
 * documented bounds are the enforced ones.
 */

/** A refused value: the message an operator reads at start-up. */
export class Invalid {
  constructor(readonly message: string) {}
}

export interface Parser<T> {
  /** `raw` is trimmed and never empty; `key` is the variable, for the message. */
  parse(raw: string, key: string): T | Invalid;
  /** What the variable accepts, as the README's table says it. */
  accepts: string;
}

export interface Unit {
  ms: number;
  /** Plural, as the variable's name spells it: "days". */
  name: string;
}

export const SECONDS: Unit = { ms: 1000, name: "seconds" };
export const MINUTES: Unit = { ms: 60_000, name: "minutes" };
export const HOURS: Unit = { ms: 3_600_000, name: "hours" };
export const DAYS: Unit = { ms: 86_400_000, name: "days" };

export interface Bounds {
  min: number;
  max: number;
}

/** Its bounds stay readable, so code that must agree with them (the DNS engine's query budget) can be tested against them. */
export function integer({ min, max = Number.MAX_SAFE_INTEGER }: { min: number; max?: number }): Parser<number> & { bounds: Bounds } {
  return {
    bounds: { min, max },
    accepts: max === Number.MAX_SAFE_INTEGER ? `whole number ≥ ${min}` : `whole number ${min}–${max}`,
    parse(raw, key) {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) return new Invalid(`${key} must be a whole number from ${min} to ${max}; got "${raw}"`);
      return value;
    },
  };
}

/** In milliseconds. Fractions are accepted so a whole lifecycle can be watched in seconds on a running server. */
export function duration(unit: Unit, { max }: { max?: number } = {}): Parser<number> {
  return {
    accepts: `${unit.name} > 0, fractions allowed${max === undefined ? "" : `, at most ${max}`}`,
    parse(raw, key) {
      const value = Number(raw);
      if (!Number.isFinite(value) || value <= 0) return new Invalid(`${key} must be a positive number; got "${raw}"`);
      if (max !== undefined && value > max) return new Invalid(`${key} must be at most ${max}; got "${raw}"`);
      return value * unit.ms;
    },
  };
}

/** A comma-separated list of durations, in milliseconds. */
export function durations(unit: Unit): Parser<number[]> {
  return {
    accepts: `comma-separated ${unit.name} > 0, fractions allowed`,
    parse(raw, key) {
      const values = raw.split(",").map((part) => Number(part.trim()));
      if (values.some((value) => !Number.isFinite(value) || value <= 0)) {
        return new Invalid(`${key} must be a comma-separated list of positive numbers; got "${raw}"`);
      }
      return values.map((value) => value * unit.ms);
    },
  };
}

export const boolean: Parser<boolean> = {
  accepts: "`true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off`)",
  parse(raw, key) {
    const value = raw.toLowerCase();
    if (["1", "true", "yes", "on"].includes(value)) return true;
    if (["0", "false", "no", "off"].includes(value)) return false;
    return new Invalid(`${key} must be true or false; got "${value}"`);
  },
};

export function oneOf<T extends string>(...values: T[]): Parser<T> {
  const quoted = values.map((value) => `"${value}"`);
  const expected = quoted.length > 1 ? `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}` : quoted[0];
  return {
    accepts: values.map((value) => `\`${value}\``).join(" or "),
    parse(raw, key) {
      return (values as string[]).includes(raw) ? (raw as T) : new Invalid(`${key} must be ${expected}; got "${raw}"`);
    },
  };
}

/** Any text, kept as written (trimmed); `accepts` says what it should be. */
export function text(accepts = "text"): Parser<string> {
  return { accepts, parse: (raw) => raw };
}

/** Comma-separated entries, blanks dropped; the first refused entry refuses the list. */
export function list<T>(entry: Parser<T>, accepts = `comma-separated ${entry.accepts}`): Parser<T[]> {
  return {
    accepts,
    parse(raw, key) {
      const values: T[] = [];
      for (const part of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
        const value = entry.parse(part, key);
        if (value instanceof Invalid) return value;
        values.push(value);
      }
      return values;
    },
  };
}

/** An http:// or https:// URL, as written. */
export function httpUrl(message: (key: string, raw: string) => string, accepts = "an `http://` or `https://` URL"): Parser<string> {
  return {
    accepts,
    parse(raw, key) {
      const url = urlOrNull(raw);
      return url && (url.protocol === "https:" || url.protocol === "http:") ? raw : new Invalid(message(key, raw));
    },
  };
}

export function urlOrNull(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** A password in a URL never reaches a log or a terminal. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
