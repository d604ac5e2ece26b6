import type { Config } from "./types";
import { Invalid, type Parser } from "./parsers";

export type Env = Record<string, string | undefined>;

/**
 * One environment variable: how it is read, what it means unset, and the line the README
 * shows. `V` is what a section builds from: the parsed type, or with `undefined` when the
 * variable has no default.
 */
export interface Setting<T = unknown, V = T | undefined> {
  env: string;
  parser: Parser<T>;
  /** As an operator would write it, read by the same parser, so the README shows the value that applies. */
  default?: string;
  /** What the README says of an unset variable when its default is computed or absent. */
  defaultDoc?: string;
  /** One line for the README. */
  doc: string;
  /** The default, parsed. */
  defaultValue: V;
}

type Declaration<T> = Omit<Setting<T>, "defaultValue">;

export function setting<T>(declaration: Declaration<T> & { default: string }): Setting<T, T>;
export function setting<T>(declaration: Declaration<T>): Setting<T, T | undefined>;
export function setting<T>(declaration: Declaration<T>): Setting<T, T | undefined> {
  if (declaration.default === undefined) return { ...declaration, defaultValue: undefined };
  const defaultValue = declaration.parser.parse(declaration.default, declaration.env);
  // A default its own parser refuses is a mistake in this folder, found the moment it loads.
  if (defaultValue instanceof Invalid) throw new TypeError(`The declared default of ${declaration.env} is refused: ${defaultValue.message}`);
  return { ...declaration, defaultValue };
}

/** A section's variables by the name its slice of Config reads them under; they mix every type. */
export type Table = Record<string, Setting<any, any>>;

export type Values<S extends Table> = { [K in keyof S]: S[K]["defaultValue"] };

/** What every section's slice may depend on besides its own variables. */
export interface Context {
  env: Config["env"];
}

/** One section of the configuration: its table of variables, and the slice of Config it builds from them. */
export interface Section<S extends Table = Table, R = unknown> {
  /** A heading in the README. */
  title: string;
  settings: S;
  build(values: Values<S>, context: Context): R;
}

export function section<S extends Table, R>(declared: Section<S, R>): Section<S, R> {
  return declared;
}

/** Problems found so far, and which variables were refused, so rules that read them stay silent. */
export class Problems {
  readonly messages: string[] = [];
  private readonly refused = new Set<string>();

  refuse(key: string, message: string): void {
    this.refused.add(key);
    this.messages.push(message);
  }

  /** Problems of a combination of settings, which no single variable's refusal covers. */
  add(messages: string[]): void {
    this.messages.push(...messages);
  }

  wasRefused(key: string): boolean {
    return this.refused.has(key);
  }
}

/** An environment variable as set: trimmed, an empty value counting as unset. */
export function readRaw(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value === "" ? undefined : value;
}

/** A refused variable is recorded and stands in as its default, so reading goes on and every problem is found. */
export function readSetting<V>(declared: Setting<unknown, V>, env: Env, problems: Problems): V {
  const raw = readRaw(env, declared.env);
  if (raw === undefined) return declared.defaultValue;
  const value = declared.parser.parse(raw, declared.env);
  if (!(value instanceof Invalid)) return value as V;
  problems.refuse(declared.env, value.message);
  return declared.defaultValue;
}

export function readSection<S extends Table, R>(declared: Section<S, R>, env: Env, context: Context, problems: Problems): R {
  const values: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(declared.settings)) values[name] = readSetting(variable, env, problems);
  return declared.build(values as Values<S>, context);
}
