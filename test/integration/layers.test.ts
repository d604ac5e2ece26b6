import { execFileSync } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

interface CruisedModule {
  source: string;
  dependencies: { resolved: string; coreModule?: boolean; couldNotResolve?: boolean }[];
}
interface CruiseResult {
  modules: CruisedModule[];
  summary: { violations: { rule: { name: string }; from: string; to: string }[] };
}

/** dependency-cruiser over src/ with the project's rules (.dependency-cruiser.js); it is ESM-only, so it runs as its CLI. */
function cruise(): CruiseResult {
  const output = execFileSync(
    process.execPath,
    [path.join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs"), "src", "--config", ".dependency-cruiser.js", "--output-type", "json"],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(output);
}

/** `src/domains/domain.service.ts` → `domains`; `src/main.ts` → `main.ts`: the units the layering speaks of. */
function unitOf(source: string): string | null {
  const [top, unit] = source.split("/");
  return top === "src" ? unit : null;
}

/** Tarjan's strongly connected components of the folder graph; any with more than one folder is a cycle. */
function folderCycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!indices.has(node)) visit(node);
  return components;
}

describe("the layout of src/", () => {
  let result: CruiseResult;
  beforeAll(() => {
    result = cruise();
  }, 60_000);

  it("keeps the layering rules of .dependency-cruiser.js (leaves know no feature, the audit log no feature, nothing imports the root, only tests import testing modules)", () => {
    expect(result.modules.length).toBeGreaterThan(100);
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it("has no import cycle between its folders and top-level files", () => {
    const edges = new Map<string, Set<string>>();
    for (const module of result.modules) {
      const from = unitOf(module.source);
      if (!from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      for (const dependency of module.dependencies) {
        const to = dependency.coreModule || dependency.couldNotResolve ? null : unitOf(dependency.resolved);
        if (to && to !== from) edges.get(from)!.add(to);
      }
    }
    expect(edges.size).toBeGreaterThan(10);
    expect(folderCycles(edges)).toEqual([]);
  });

  it("would notice a cycle", () => {
    const edges = new Map([
      ["graphql", new Set(["domains"])],
      ["domains", new Set(["audit"])],
      ["audit", new Set(["graphql"])],
      ["shared", new Set<string>()],
    ]);
    expect(folderCycles(edges)).toEqual([["audit", "domains", "graphql"]]);
  });
});
