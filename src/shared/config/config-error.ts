/**
 * Settings dnsproof refuses to start with. Every refused setting is collected first, so an
 * operator fixes them in one go rather than one restart at a time.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** One message per refused setting or broken combination, each naming its variables. */
  readonly problems: string[];

  constructor(problems: string | string[]) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(list.length === 1 ? list[0] : `${list.length} settings need fixing:\n${list.map((problem) => `  - ${problem}`).join("\n")}`);
    this.problems = list;
  }
}
